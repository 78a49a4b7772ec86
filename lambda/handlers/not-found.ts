/**
 * The `$default` route: whatever matched no route gets a problem+json 404 (unknown path) or
 * 405 with `Allow` (known path, wrong method), instead of API Gateway's bare `{"message"}`.
 */
import { runtimeConfig } from '../config/runtime';
import { httpHandler } from '../http/handler';
import { methodNotAllowed, notFound } from '../http/problem';
import { methodsFor } from '../http/routes';

export const handler = httpHandler('$default', async (event) => {
  const allow = methodsFor(event.rawPath, runtimeConfig().config);
  // `OPTIONS /{proxy+}` (CORS on) lands here without authorizer; API Gateway answers real
  // preflights itself and adds the CORS headers, so any other OPTIONS just gets an empty 204.
  if (event.requestContext.http.method === 'OPTIONS') {
    const headers: Record<string, string> = allow.length ? { allow: allow.join(', ') } : {};
    return { statusCode: 204, headers };
  }
  throw allow.length ? methodNotAllowed(allow) : notFound('No such route. See the README for the v1 routes.');
});
