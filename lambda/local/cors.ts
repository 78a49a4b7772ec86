/**
 * API Gateway's CORS handling, emulated for the local server from the same `CorsPolicy` the
 * stack configures (AWS, "Configure CORS for HTTP APIs"):
 * - a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) reaches the
 *   unauthorized `OPTIONS /{proxy+}` route (its integration, the fallback function, answers
 *   204) and API Gateway adds the preflight headers when the origin is allowed;
 * - every other response to a request with an allowed `Origin` gets
 *   `Access-Control-Allow-Origin` (and the exposed headers); CORS headers that the
 *   integration returns are ignored (dropped), as API Gateway does.
 * Origins are compared as exact strings, as API Gateway does (no case folding, no wildcards).
 * Assumption, not verified against AWS: the CORS headers are also on the authorizer's 401/403
 * (the docs only say "added to the response from an integration").
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../http/cors';
import type { HttpResult } from '../http/handler';
import { corsAllows } from '../http/cors';

export const isPreflight = (method: string | undefined, headers: IncomingHttpHeaders): boolean =>
  method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';

/** The integration's answer with the integration's CORS headers dropped and API Gateway's added. */
export function withCorsHeaders(result: HttpResult, policy: CorsPolicy | undefined, origin: string | undefined, preflight: boolean): HttpResult {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).filter(([name]) => !name.toLowerCase().startsWith('access-control-')),
  );
  if (policy && origin !== undefined && corsAllows(policy, origin)) {
    headers['access-control-allow-origin'] = origin;
    if (preflight) {
      headers['access-control-allow-methods'] = policy.allowMethods.join(',');
      headers['access-control-allow-headers'] = policy.allowHeaders.join(',');
      headers['access-control-max-age'] = String(policy.maxAgeSeconds);
    } else if (policy.exposeHeaders.length) {
      headers['access-control-expose-headers'] = policy.exposeHeaders.join(',');
    }
  }
  return { ...result, headers };
}
