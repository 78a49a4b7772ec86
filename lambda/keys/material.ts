/**
 * Playback key material, pure: generate a managed key, the public half as IVS wants it (SPKI
 * PEM) and as a JWK with its RFC 7638 thumbprint as `kid`. No I/O.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/**
 * A new ECDSA P-384 key as the managed secret holds it: JSON `{"privateKey": PKCS#8 PEM,
 * "publicKey": SPKI PEM}` (parsePlaybackKey reads `privateKey`; the public half is there for
 * operators). Generated inside the rotation / custom-resource function: it never leaves AWS.
 */
export function generatePlaybackKey(): { secretString: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { secretString: JSON.stringify({ privateKey: privateKeyPem, publicKey: publicKeyPem }), publicKeyPem };
}

/** SPKI PEM of a private key's public half: what `ImportPlaybackKeyPair` takes. */
export function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
}

export interface PlaybackJwk extends JWK {
  kty: 'EC';
  crv: 'P-384';
  x: string;
  y: string;
  kid: string;
  alg: 'ES384';
  use: 'sig';
}

/** The public half as a JWK; `kid` is its RFC 7638 thumbprint (SHA-256). */
export async function publicJwk(privateKey: KeyObject): Promise<PlaybackJwk> {
  const { kty, crv, x, y } = await exportJWK(createPublicKey(privateKey));
  const jwk = { kty, crv, x, y } as { kty: 'EC'; crv: 'P-384'; x: string; y: string };
  return { ...jwk, kid: await calculateJwkThumbprint(jwk, 'sha256'), alg: 'ES384', use: 'sig' };
}

/** A JWK Set of distinct keys (the same key under two stages appears once). */
export async function jwks(keys: readonly KeyObject[]): Promise<{ keys: PlaybackJwk[] }> {
  const all = await Promise.all(keys.map(publicJwk));
  return { keys: all.filter((k, i) => all.findIndex((o) => o.kid === k.kid) === i) };
}
