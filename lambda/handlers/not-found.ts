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
  throw allow.length ? methodNotAllowed(allow) : notFound('No such route. See the README for the v1 routes.');
});
