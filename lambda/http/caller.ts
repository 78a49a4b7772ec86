/**
 * Who is calling: the claims that API Gateway's JWT authorizer (or the local server, which
 * builds the same event) put in `requestContext.authorizer.jwt.claims`.
 */
import { safeEqualHex, sha256Hex } from './hmac';
import { unauthorized } from './problem';
import type { HttpEvent } from './handler';

/** `iss` of callers authenticated by an HMAC-signed request. */
export const HMAC_ISSUER = 'urn:token-vending:hmac';

/** What the HMAC Lambda authorizer passes to the route (requestContext.authorizer.lambda). */
export interface HmacContext {
  sub: string;
  iss: typeof HMAC_ISSUER;
  'hmac:key': string;
  contentSha256: string;
}

export type Claims = Readonly<Record<string, unknown>>;

export interface Caller {
  readonly subject: string;
  readonly issuer: string;
  readonly claims: Claims;
}

/**
 * The caller, from the JWT authorizer's claims or the HMAC authorizer's context. For an HMAC
 * caller the body must hash to what was signed (the authorizer could not see the body).
 */
export function callerFromEvent(event: HttpEvent): Caller {
  const authorizer = event.requestContext?.authorizer as { jwt?: { claims?: Claims }; lambda?: Partial<HmacContext> } | undefined;
  const hmac = authorizer?.lambda;
  if (hmac?.iss === HMAC_ISSUER) {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (!hmac.contentSha256 || !safeEqualHex(sha256Hex(body), hmac.contentSha256)) {
      throw unauthorized('body_mismatch', 'The body does not match the signed x-tv-content-sha256.');
    }
  }
  const claims = (authorizer?.jwt?.claims ?? hmac) as Claims | undefined;
  const subject = claims?.sub;
  if (!claims || typeof subject !== 'string' || subject.length === 0) {
    throw unauthorized('unauthenticated', 'A signed-in caller is required.');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  return { subject, issuer, claims };
}

/**
 * The values a claim holds. API Gateway's JWT authorizer flattens arrays into strings like
 * `[admin viewer]`; `scope` is space-separated; real arrays come through the local server.
 */
export function claimValues(claims: Claims, name: string): string[] {
  const v = claims[name];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') {
    const s = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
    return s.split(/[\s,]+/).filter(Boolean);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [];
}
