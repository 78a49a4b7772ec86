/**
 * What the edge (CloudFront + AWS WAF, `lib/token-vending-edge-stack.ts`) and the functions
 * behind it agree on: the 429 that WAF sends for a client over its rate limit, and the secret
 * origin header that proves a request came through the distribution (README "Abuse limits").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { runtimeConfig } from '../config/runtime';
import { SecretFormatError } from '../secrets/keys';
import type { RawSecret } from '../secrets/sources';
import { runtimeSecret } from '../secrets/store';
import type { HttpEvent } from './handler';
import { forbidden } from './problem';

/**
 * The body of the 429 that AWS WAF answers from a rate-based rule (a custom response body).
 * WAF's custom bodies are TEXT_PLAIN, TEXT_HTML or APPLICATION_JSON only (AWS WAF API
 * reference, CustomResponseBody), so the deployed response is this RFC 9457 body with
 * `content-type: application/json`; `application/problem+json` cannot be set there.
 */
export const RATE_LIMITED_PROBLEM = {
  type: 'urn:token-vending:problem:rate_limited',
  title: 'Too Many Requests',
  status: 429,
  detail: 'Too many requests from this client. Retry after the number of seconds in Retry-After.',
  code: 'rate_limited',
} as const;
export const RATE_LIMITED_CONTENT_TYPE = 'application/json';

/**
 * Headers of the 429, besides its content type. WAF's custom response headers are static, so
 * Retry-After is the whole rate window (an upper bound). `*` lets a browser read the 429
 * without credentials mode (the body holds nothing private); without it a blocked browser
 * call would surface as a CORS failure, since WAF answers before API Gateway's CORS.
 */
export function rateLimitedHeaders(retryAfterSeconds: number): Record<string, string> {
  return {
    'retry-after': String(retryAfterSeconds),
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'retry-after',
  };
}

/** The header CloudFront adds to every request it forwards (an origin custom header). */
export const ORIGIN_VERIFY_HEADER = 'x-tv-origin-verify';

/**
 * The origin-verify secret: JSON `{"current": "...", "previous"?: "..."}`. CloudFront sends
 * `current`; the functions accept both, so a rotation is: new value in `current` and the old one
 * in `previous`, redeploy the edge, then drop `previous` (README).
 */
export function parseOriginVerifySecret(raw: RawSecret): Buffer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch {
    throw new SecretFormatError('origin-verify secret is not valid JSON');
  }
  const { current, previous } = (parsed ?? {}) as { current?: unknown; previous?: unknown };
  if (typeof current !== 'string' || current.length < 32) throw new SecretFormatError('origin-verify secret needs "current": a string of at least 32 characters');
  if (previous !== undefined && (typeof previous !== 'string' || previous.length < 32)) {
    throw new SecretFormatError('origin-verify secret "previous" must be a string of at least 32 characters');
  }
  return [current, ...(previous ? [previous] : [])].map(digest);
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant time: the header is hashed, so lengths never differ, and every accepted value is
 * compared (no early exit that would tell `current` from `previous`).
 */
export function originVerified(header: string | undefined, accepted: readonly Buffer[]): boolean {
  if (header === undefined) return false;
  const got = digest(header);
  let ok = false;
  for (const want of accepted) ok = timingSafeEqual(got, want) || ok;
  return ok;
}

// Never stale: a value dropped from the secret must stop opening the door within maxAge.
const originSecret = runtimeSecret('edgeOrigin', 'origin-verify secret', parseOriginVerifySecret, { serveStale: false });

/**
 * Refuse a request that did not come through the distribution. Only where the stack configured
 * the secret (every function behind an edge); the local server stands in for the edge itself.
 */
export async function assertThroughEdge(event: HttpEvent): Promise<void> {
  if (!runtimeConfig().secrets.edgeOrigin) return;
  const accepted = await originSecret.get();
  if (!originVerified(event.headers?.[ORIGIN_VERIFY_HEADER], accepted)) {
    throw forbidden('edge_required', 'Call the API at its public address.');
  }
}
