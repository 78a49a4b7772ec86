/**
 * The API's CORS configuration, derived from the config in one place: the CDK construct gives
 * it to API Gateway (`corsPreflight`), and the local server emulates API Gateway's CORS
 * handling with it (`lambda/local/cors.ts`). Origins are exactly `origins.allow`, never `*`.
 */
import type { TokenVendingConfig } from '../config/schema';
import { activeRoutes } from './routes';

export interface CorsPolicy {
  /**
   * Exact origins only: API Gateway's HTTP API CORS takes an exact origin, `*`, `http://*` or
   * `https://*`, and no subdomain wildcard (AWS, "Configure CORS for HTTP APIs"), so a
   * `https://*.example.org` entry of `origins.allow` cannot be a CORS origin; it still widens
   * the IVS origin claim of tokens fetched without `Origin` (by a backend).
   */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  /** Response headers a page's script may read besides the CORS-safelisted ones. */
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** Undefined when no browser origin is allowed exactly: then the API answers no preflight at all. */
export function corsPolicy(config: TokenVendingConfig): CorsPolicy | undefined {
  const exact = config.origins.allow.filter((o) => !isWildcardOrigin(o));
  if (!exact.length) return undefined;
  return {
    allowOrigins: exact,
    allowMethods: [...new Set(activeRoutes(config).map((r) => r.method))].sort(),
    allowHeaders: ['authorization', 'content-type'],
    exposeHeaders: ['retry-after'],
    maxAgeSeconds: 3600,
  };
}

export const isWildcardOrigin = (origin: string): boolean => origin.includes('://*.');

/** API Gateway compares the request's Origin with the configured origins as strings. */
export const corsAllows = (policy: CorsPolicy, origin: string): boolean => policy.allowOrigins.includes(origin);

/**
 * With CORS on, `OPTIONS /{proxy+}` is a route without authorizer: the `$default` route would
 * otherwise catch preflights and its authorizer refuse them, since a browser never sends
 * `Authorization` on a preflight (AWS, "Configure CORS for HTTP APIs": with CORS and
 * authorization on `$default`, add an unauthorized `OPTIONS /{proxy+}` route).
 */
export const PREFLIGHT_ROUTE = { method: 'OPTIONS', path: '/{proxy+}' } as const;
