/**
 * Who is calling: the claims that API Gateway's JWT authorizer (or the local server, which
 * builds the same event) put in `requestContext.authorizer.jwt.claims`.
 */
import { createHash } from 'node:crypto';
import { unauthorized } from './problem';
import type { HttpEvent } from './handler';

export type Claims = Readonly<Record<string, unknown>>;

export interface Caller {
  readonly subject: string;
  readonly issuer: string;
  readonly claims: Claims;
}

export function callerFromEvent(event: HttpEvent): Caller {
  const claims = (event.requestContext?.authorizer?.jwt?.claims ?? undefined) as Claims | undefined;
  const subject = claims?.sub;
  if (!claims || typeof subject !== 'string' || subject.length === 0) {
    throw unauthorized('unauthenticated', 'A signed-in caller is required.');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  return { subject, issuer, claims };
}

/**
 * A stable, opaque id for the caller, different per purpose so that two of them cannot be
 * linked: base64url of SHA-256 over purpose, issuer and subject. Never the raw subject (which
 * may be an e-mail address) and never contains ':'.
 */
export function pseudonymousId(caller: Caller, purpose: string, length = 32): string {
  return createHash('sha256')
    .update(`token-vending/${purpose}\0${caller.issuer}\0${caller.subject}`)
    .digest('base64url')
    .slice(0, length);
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
