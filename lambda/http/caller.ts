/**
 * Who is calling: the claims that API Gateway's JWT authorizer (or the local server, which
 * builds the same event) put in `requestContext.authorizer.jwt.claims`.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { safeEqualHex, sha256Hex } from './hmac';
import { unauthorized } from './problem';
import type { HttpEvent } from './handler';

/**
 * `iss` of callers authenticated by an HMAC-signed request: one namespace per key id, so that
 * `user-42` of backend-1 and `user-42` of backend-2 are different callers (different LiveKit
 * identities' pseudonyms, viewer ids, TURN users).
 */
export const HMAC_ISSUER_PREFIX = 'urn:token-vending:hmac:';
export const hmacIssuer = (keyId: string): string => `${HMAC_ISSUER_PREFIX}${keyId}`;

/** What the HMAC Lambda authorizer passes to the route (requestContext.authorizer.lambda). */
export interface HmacContext {
  sub: string;
  iss: string;
  'hmac:key': string;
  /** The key id's namespace (`backend-1` for `backend-1` and `backend-1.2027`): entitle on this. */
  'hmac:namespace': string;
  contentSha256: string;
}

export type Claims = Readonly<Record<string, unknown>>;

export interface Caller {
  readonly subject: string;
  readonly issuer: string;
  /**
   * The caller's default LiveKit identity: `sub` for a signed-in user; `<namespace>/<sub>` for
   * an HMAC caller, so that two backends' `user-42` are two participants.
   */
  readonly identity: string;
  readonly claims: Claims;
}

/** `iss` of anonymous callers of a deployment with `auth.type: "none"`. */
export const ANONYMOUS_ISSUER = 'urn:token-vending:anonymous';

/**
 * The caller, from the JWT authorizer's claims or the HMAC authorizer's context. For an HMAC
 * caller the body must hash to what was signed (the authorizer could not see the body).
 * With `auth.type: "none"` there is no authorizer: every request is a new anonymous caller
 * (a random subject, no claims), so only entitlements without `when` apply.
 */
export function callerFromEvent(event: HttpEvent, auth?: { type: string }): Caller {
  const authorizer = event.requestContext?.authorizer as { jwt?: { claims?: Claims }; lambda?: Partial<HmacContext> } | undefined;
  const hmac = authorizer?.lambda;
  if (hmac?.iss?.startsWith(HMAC_ISSUER_PREFIX)) {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw);
    if (!hmac.contentSha256 || !safeEqualHex(sha256Hex(body), hmac.contentSha256)) {
      throw unauthorized('body_mismatch', 'The body does not match the signed x-tv-content-sha256.');
    }
  }
  if (!authorizer?.jwt && !hmac && auth?.type === 'none') {
    const subject = `anonymous-${randomBytes(12).toString('hex')}`;
    return { subject, issuer: ANONYMOUS_ISSUER, identity: subject, claims: {} };
  }
  const jwtClaims = authorizer?.jwt?.claims;
  const claims = jwtClaims ? withBearerArrays(jwtClaims, event.headers?.authorization) : (hmac as Claims | undefined);
  const subject = claims?.sub;
  if (!claims || typeof subject !== 'string' || subject.length === 0) {
    throw unauthorized('unauthenticated', 'A signed-in caller is required.');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const identity = issuer.startsWith(HMAC_ISSUER_PREFIX) ? `${issuer.slice(HMAC_ISSUER_PREFIX.length)}/${subject}` : subject;
  return { subject, issuer, identity, claims };
}

/** How API Gateway's JWT authorizer passes a claim: a string, arrays as `[a b]`, objects as JSON. */
export function flattenClaim(v: unknown): string {
  // null is an object too: JSON.stringify(null) is "null", as String(null) is.
  return Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function unverified() {
  return unauthorized('unauthenticated', 'The Authorization header does not hold the verified token.');
}

/**
 * API Gateway's JWT authorizer passes an array claim as one string, `["a b", "c"]` as
 * `[a b c]`: the item boundaries are lost, and no splitting rule can recover them. The token
 * it has just verified is the request's own `Authorization` header (the authorizer's identity
 * source), so array claims are read from that token's payload instead. Only when there is a
 * flattened claim to recover (a local dev identity has none), and only when every scalar and
 * array claim of the payload flattens to exactly what the authorizer passed: a payload that
 * is not the verified token is refused, whatever its iss, sub and exp.
 */
function withBearerArrays(claims: Claims, authorization: string | undefined): Claims {
  if (!Object.values(claims).some((v) => typeof v === 'string' && v.startsWith('[') && v.endsWith(']'))) return claims;
  let payload: Record<string, unknown>;
  try {
    // Stryker disable next-line StringLiteral,MethodExpression,Regex: equivalent. jose's decodeJwt reads only the payload, the middle of three segments, so a prefix left on the first changes nothing; the prefix is taken off so as not to rely on that.
    payload = decodeJwt((authorization ?? '').replace(/^Bearer\s+/i, '').trim());
  } catch {
    throw unverified();
  }
  for (const [name, value] of Object.entries(payload)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) continue; // objects: compared by nobody, used by nobody
    if (claims[name] === undefined || String(claims[name]) !== flattenClaim(value)) throw unverified();
  }
  const arrays = Object.entries(payload).filter(([, v]) => Array.isArray(v));
  return { ...claims, ...Object.fromEntries(arrays) };
}

/**
 * The values a claim holds, for entitlement rules. An array claim (read from the verified
 * token, see `withBearerArrays`) gives its items, each whole; `scope` is space-separated
 * (RFC 6749 §3.3); every other string is one value, never split, so that a group named
 * `subscribers (lapsed)` or `trial,subscribers`, or a subject `mallory vip-user`, matches
 * nothing but itself. Numbers and booleans become their string form.
 */
export function claimValues(claims: Claims, name: string): string[] {
  const v = claims[name];
  if (Array.isArray(v)) return v.filter((x) => ['string', 'number', 'boolean'].includes(typeof x)).map(String);
  if (typeof v === 'string') return name === 'scope' ? v.split(' ').filter(Boolean) : [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [];
}
