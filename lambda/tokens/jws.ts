/**
 * JWS compact serialization (RFC 7515 §7.1) of a JWT (RFC 7519), pure: the one signer of the
 * tokens we mint. Header `{"alg","typ":"JWT"}`, then the claims as given (no `iat` or other
 * claim added), each base64url without padding, then the signature over `header.payload`:
 * - ES384: ECDSA P-384 with SHA-384, the signature as R || S, 48 bytes each (RFC 7518 §3.4),
 *   not DER;
 * - HS256: HMAC-SHA256 (RFC 7518 §3.2).
 * The algorithm is the caller's constant and the key a parsed KeyObject (lambda/secrets/keys.ts
 * checks its type and size once), never a string or PEM.
 *
 * Why not jsonwebtoken (which signed these until the cold-start work of README "Cold starts"):
 * it does the same thing with more steps, and importing it costs a cold Lambda ~10 ms of CPU
 * (its `semver` range checks run at load), which was a third of what our playback and room
 * functions cost over the IVS blog's function. Every token is still checked by independent
 * verifiers in the tests: jose for ES384, LiveKit's own TokenVerifier for HS256.
 */
import { createHmac, sign, type KeyObject } from 'node:crypto';

export type JwsAlgorithm = 'ES384' | 'HS256';

const HEADERS: Record<JwsAlgorithm, string> = {
  ES384: base64url(JSON.stringify({ alg: 'ES384', typ: 'JWT' })),
  HS256: base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })),
};

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function signJwt(alg: JwsAlgorithm, claims: object, key: KeyObject): string {
  const input = `${HEADERS[alg]}.${base64url(JSON.stringify(claims))}`;
  const signature =
    alg === 'ES384'
      ? sign('sha384', Buffer.from(input, 'utf8'), { key, dsaEncoding: 'ieee-p1363' })
      : createHmac('sha256', key).update(input, 'utf8').digest();
  return `${input}.${signature.toString('base64url')}`;
}
