/**
 * The API's route table: the one list that the CDK construct, the local server and the
 * not-found handler all read, so an unknown path or a wrong method is answered the same way
 * everywhere.
 */
export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Handler file under lambda/handlers/ (without .ts). */
  readonly handler: string;
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/v1/playback-tokens', handler: 'playback-tokens' },
];

/** The methods a path is served with (empty: unknown path). */
export const methodsFor = (path: string): string[] =>
  ROUTES.filter((r) => r.path === path).map((r) => r.method);
