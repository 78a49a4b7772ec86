/**
 * HMAC-signed requests for server-to-server callers without an IdP (DESIGN.md §5), pure.
 *
 * A backend sends, besides its JSON body:
 *   x-tv-key-id:         which shared key signed (several may be active, for rotation)
 *   x-tv-timestamp:      unix seconds; accepted within ±300 s
 *   x-tv-subject:        the end user the token is for (becomes the caller's `sub`)
 *   x-tv-content-sha256: hex SHA-256 of the exact body bytes (of "" when there is none)
 *   x-tv-signature:      hex HMAC-SHA256(key, stringToSign)
 * where stringToSign is these lines joined by "\n":
 *   TV1-HMAC-SHA256, METHOD, path, timestamp, subject, content-sha256
 *
 * API Gateway gives a Lambda authorizer no body, so the authorizer checks the signature over
 * the declared body hash and the handler checks the body against that hash (`caller.ts`).
 */
import { createHash, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

export const HMAC_SCHEME = 'TV1-HMAC-SHA256';
export const HMAC_WINDOW_SECONDS = 300;
export const HMAC_HEADERS = {
  keyId: 'x-tv-key-id',
  timestamp: 'x-tv-timestamp',
  subject: 'x-tv-subject',
  contentSha256: 'x-tv-content-sha256',
  signature: 'x-tv-signature',
} as const;

export interface SignedRequest {
  method: string;
  path: string;
  timestamp: string;
  subject: string;
  contentSha256: string;
}

export const sha256Hex = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');

export function stringToSign(r: SignedRequest): string {
  return [HMAC_SCHEME, r.method.toUpperCase(), r.path, r.timestamp, r.subject, r.contentSha256.toLowerCase()].join('\n');
}

export function hmacSignature(key: KeyObject, r: SignedRequest): string {
  return createHmac('sha256', key).update(stringToSign(r), 'utf8').digest('hex');
}

/** Equal-length hex strings compared in constant time; different lengths are simply unequal. */
export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type HmacVerdict =
  | { ok: true; keyId: string; subject: string; contentSha256: string }
  | { ok: false; reason: string };

/** Verify a request's HMAC headers (lower-case names) against the active keys. */
export function verifyHmacRequest(
  headers: Readonly<Record<string, string | undefined>>,
  method: string,
  path: string,
  keys: ReadonlyMap<string, KeyObject>,
  nowSeconds: number,
): HmacVerdict {
  const h = (name: string) => headers[name];
  const keyId = h(HMAC_HEADERS.keyId);
  const timestamp = h(HMAC_HEADERS.timestamp);
  const subject = h(HMAC_HEADERS.subject);
  const contentSha256 = h(HMAC_HEADERS.contentSha256);
  const signature = h(HMAC_HEADERS.signature);
  if (!keyId || !timestamp || !subject || !contentSha256 || !signature) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > HMAC_WINDOW_SECONDS) return { ok: false, reason: 'timestamp outside the 5-minute window' };
  if (!/^[0-9a-f]{64}$/i.test(contentSha256) || !/^[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: 'malformed hash or signature' };
  if (subject.length > 256 || /[\u0000-\u001f\u007f]/.test(subject)) return { ok: false, reason: 'malformed subject' };
  const key = keys.get(keyId);
  if (!key) return { ok: false, reason: 'unknown key id' };
  const expected = hmacSignature(key, { method, path, timestamp, subject, contentSha256 });
  if (!safeEqualHex(expected, signature.toLowerCase())) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, keyId, subject, contentSha256: contentSha256.toLowerCase() };
}
