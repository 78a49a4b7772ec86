/**
 * HMAC-signed requests for server-to-server callers without an IdP (DESIGN.md §5), pure.
 *
 * A backend sends, besides its JSON body:
 *   x-tv-key-id:         which shared key signed (several may be active, for rotation)
 *   x-tv-timestamp:      unix seconds; accepted from 300 s in the past to 30 s in the future
 *   x-tv-subject:        the end user the token is for (becomes the caller's `sub`)
 *   x-tv-content-sha256: hex SHA-256 of the exact body bytes (of "" when there is none)
 *   x-tv-signature:      hex HMAC-SHA256(key, stringToSign)
 * where stringToSign (scheme TV2) is these nine lines joined by "\n":
 *   TV2-HMAC-SHA256, METHOD, host, path, canonical query, timestamp, key id, subject, content-sha256
 * The key id, host and query are signed so that a request verifies only under the key id it
 * names (one key value under two ids cannot stand for either), only at the API it was sent to
 * (no replay across stacks or stages that share keys) and only with the query it was sent with.
 * TV1 (which signed none of them) is no longer accepted.
 *
 * API Gateway gives a Lambda authorizer no body, so the authorizer checks the signature over
 * the declared body hash and the handler checks the body against that hash (`caller.ts`).
 */
import { createHash, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

export const HMAC_SCHEME = 'TV2-HMAC-SHA256';
/** How old a signed request may be (covers clock skew and slow networks). */
export const HMAC_MAX_AGE_SECONDS = 300;
/** How far in the future a timestamp may be: clock skew only, so a captured request lives ~5 min at most. */
export const HMAC_MAX_FUTURE_SECONDS = 30;
export const HMAC_HEADERS = {
  keyId: 'x-tv-key-id',
  timestamp: 'x-tv-timestamp',
  subject: 'x-tv-subject',
  contentSha256: 'x-tv-content-sha256',
  signature: 'x-tv-signature',
} as const;
/** Key ids: a namespace, optionally `.version` (`backend-1`, `backend-1.2027`); see `hmacNamespace`. */
export const HMAC_KEY_ID = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,32})?$/;

export interface SignedRequest {
  method: string;
  /** The API's host name as the client addressed it (API Gateway: the domain name it served). */
  host: string;
  path: string;
  /** The raw query string (without `?`), canonicalised before signing. */
  query: string;
  timestamp: string;
  keyId: string;
  subject: string;
  contentSha256: string;
}

export const sha256Hex = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');

/** RFC 3986 percent-encoding: everything but unreserved characters. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Canonical query: each parameter decoded then RFC 3986-encoded, pairs sorted by name then
 * value, joined with `&`; empty when there is no query.
 */
export function canonicalQuery(raw: string): string {
  return [...new URLSearchParams(raw)]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function stringToSign(r: SignedRequest): string {
  return [
    HMAC_SCHEME,
    r.method.toUpperCase(),
    r.host.toLowerCase(),
    r.path,
    canonicalQuery(r.query),
    r.timestamp,
    r.keyId,
    r.subject,
    r.contentSha256.toLowerCase(),
  ].join('\n');
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

/**
 * The identity namespace of a key id: the part before the first `.`. Callers signed with
 * `backend-1` and `backend-1.2027` are the same backend (rotation keeps its users' ids);
 * `backend-2` is another one, whose `user-42` is a different caller.
 */
export const hmacNamespace = (keyId: string): string => keyId.split('.')[0]!;

export type HmacVerdict =
  | { ok: true; keyId: string; subject: string; contentSha256: string }
  | { ok: false; reason: string };

/** What of the request the verifier needs besides its headers. */
export interface RequestTarget {
  method: string;
  /**
   * The host names a signature may name: the domain API Gateway served the request on, plus
   * the configured `auth.hosts` (a CloudFront alias or custom domain in front of it, which
   * API Gateway never sees). A request signed for any other host is refused.
   */
  hosts: readonly string[];
  path: string;
  query: string;
}

/** Verify a request's HMAC headers (lower-case names) against the active keys. */
export function verifyHmacRequest(
  headers: Readonly<Record<string, string | undefined>>,
  target: RequestTarget,
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
  const age = nowSeconds - Number(timestamp);
  if (age > HMAC_MAX_AGE_SECONDS) return { ok: false, reason: 'timestamp older than 300 s' };
  if (-age > HMAC_MAX_FUTURE_SECONDS) return { ok: false, reason: 'timestamp more than 30 s in the future' };
  if (!/^[0-9a-f]{64}$/i.test(contentSha256) || !/^[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: 'malformed hash or signature' };
  if (subject.length > 256 || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(subject)) return { ok: false, reason: 'malformed subject' };
  const key = keys.get(keyId);
  if (!key) return { ok: false, reason: 'unknown key id' };
  const given = signature.toLowerCase();
  const { hosts, ...request } = target;
  const matches = hosts.filter((host) => safeEqualHex(hmacSignature(key, { ...request, host, timestamp, keyId, subject, contentSha256 }), given));
  if (!matches.length) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, keyId, subject, contentSha256: contentSha256.toLowerCase() };
}
