/**
 * API Gateway's CORS handling, emulated for the local server from the same `CorsPolicy` the
 * stack configures (AWS, "Configure CORS for HTTP APIs"):
 * - a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is answered by
 *   API Gateway itself, before any route or authorizer: 204, with the CORS headers only when
 *   the origin is allowed;
 * - every other response to a request with an allowed `Origin` gets
 *   `Access-Control-Allow-Origin` (and the exposed headers); CORS headers that the
 *   integration returns are ignored (dropped), as API Gateway does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../http/cors';
import type { HttpResult } from '../http/handler';
import { originAllowed } from '../http/origin';

export const isPreflight = (method: string | undefined, headers: IncomingHttpHeaders): boolean =>
  method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';

export function preflightResponse(policy: CorsPolicy, origin: string): HttpResult {
  if (!originAllowed(origin, policy.allowOrigins)) return { statusCode: 204, headers: {} };
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': policy.allowMethods.join(','),
      'access-control-allow-headers': policy.allowHeaders.join(','),
      'access-control-max-age': String(policy.maxAgeSeconds),
    },
  };
}

export function withCorsHeaders(result: HttpResult, policy: CorsPolicy | undefined, origin: string | undefined): HttpResult {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).filter(([name]) => !name.toLowerCase().startsWith('access-control-')),
  );
  if (policy && origin !== undefined && originAllowed(origin, policy.allowOrigins)) {
    headers['access-control-allow-origin'] = origin;
    if (policy.exposeHeaders.length) headers['access-control-expose-headers'] = policy.exposeHeaders.join(',');
  }
  return { ...result, headers };
}
