/**
 * GET /.well-known/jwks.json: the public halves of the playback keys (AWSCURRENT and
 * AWSPREVIOUS) as P-384 JWKs, `kid` = RFC 7638 thumbprint. Unauthenticated (the route has no
 * authorizer) and cacheable: public keys are no secret.
 */
import { runtimeConfig } from '../config/runtime';
import { httpHandler } from '../http/handler';
import { publicKeySet } from '../keys/jwks';
import type { JwksResponse } from '../http/responses';

export const handler = httpHandler('GET /.well-known/jwks.json', async () => {
  const set = await publicKeySet();
  // Not longer than the functions' own cache: a verifier sees a new key within 2 x maxAge.
  const maxAge = Math.min(300, runtimeConfig().config.secrets.maxAgeSeconds);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${maxAge}` },
    body: JSON.stringify(set satisfies JwksResponse),
  };
});
