/**
 * The API's route table: the one list that the CDK construct, the local server and the
 * not-found handler all read, so an unknown path or a wrong method is answered the same way
 * everywhere. A route whose feature is not configured is not deployed.
 */
import type { TokenVendingConfig } from '../config/schema';

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Handler file under lambda/handlers/ (without .ts). */
  readonly handler: string;
  readonly enabled: (config: TokenVendingConfig) => boolean;
  /** No authorizer in front of it (API Gateway route-level none; the local server skips its emulation). */
  readonly public?: true;
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/v1/playback-tokens', handler: 'playback-tokens', enabled: () => true },
  { method: 'POST', path: '/v1/turn-credentials', handler: 'turn-credentials', enabled: (c) => c.turn !== undefined },
  { method: 'POST', path: '/v1/room-tokens', handler: 'room-tokens', enabled: (c) => c.livekit !== undefined },
  { method: 'POST', path: '/v1/viewer-revocations', handler: 'viewer-revocations', enabled: () => true },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'jwks', enabled: () => true, public: true },
];

export const activeRoutes = (config: TokenVendingConfig): RouteSpec[] => ROUTES.filter((r) => r.enabled(config));

/** The methods a path is served with (empty: unknown path). */
export const methodsFor = (path: string, config: TokenVendingConfig): string[] =>
  activeRoutes(config)
    .filter((r) => r.path === path)
    .map((r) => r.method);
