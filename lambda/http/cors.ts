/**
 * The API's CORS configuration, derived from the config in one place: the CDK construct gives
 * it to API Gateway (`corsPreflight`), and the local server emulates API Gateway's CORS
 * handling with it (`lambda/local/cors.ts`). Origins are exactly `origins.allow`, never `*`.
 */
import type { TokenVendingConfig } from '../config/schema';
import { activeRoutes } from './routes';

export interface CorsPolicy {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  /** Response headers a page's script may read besides the CORS-safelisted ones. */
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** Undefined when no browser origin is allowed: then the API answers no preflight at all. */
export function corsPolicy(config: TokenVendingConfig): CorsPolicy | undefined {
  if (!config.origins.allow.length) return undefined;
  return {
    allowOrigins: [...config.origins.allow],
    allowMethods: [...new Set(activeRoutes(config).map((r) => r.method))].sort(),
    allowHeaders: ['authorization', 'content-type'],
    exposeHeaders: ['retry-after'],
    maxAgeSeconds: 3600,
  };
}

/**
 * With CORS on, `OPTIONS /{proxy+}` is a route without authorizer: the `$default` route would
 * otherwise catch preflights and its authorizer refuse them, since a browser never sends
 * `Authorization` on a preflight (AWS, "Configure CORS for HTTP APIs": with CORS and
 * authorization on `$default`, add an unauthorized `OPTIONS /{proxy+}` route).
 */
export const PREFLIGHT_ROUTE = { method: 'OPTIONS', path: '/{proxy+}' } as const;
