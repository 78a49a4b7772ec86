/**
 * The local server's stand-in for the edge's per-IP rate-based rule (config
 * `edge.rateLimitPerIp`): a token bucket per client address, holding `requests` tokens and
 * refilled at `requests / windowSeconds` per second. WAF counts requests over a sliding
 * window instead; both let a client make `requests` in a window and refuse the rest until its
 * rate drops. A refused request gets the same 429 (status, body, headers) WAF sends.
 */
import type { HttpResult } from '../http/handler';
import { RATE_LIMITED_CONTENT_TYPE, RATE_LIMITED_PROBLEM, rateLimitedHeaders } from '../http/edge';
import type { RateLimit } from '../config/schema';

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiter {
  /** Take one token for this client; a 429 result when there is none. */
  take(client: string): HttpResult | undefined;
}

/** Buckets idle for this many windows are full again and are dropped. */
const IDLE_WINDOWS = 2;

export function tokenBucketLimiter(limit: RateLimit, now: () => number = () => performance.now()): RateLimiter {
  const capacity = limit.requests;
  const perMs = limit.requests / (limit.windowSeconds * 1000);
  const buckets = new Map<string, Bucket>();
  let lastSweep = now();
  return {
    take(client) {
      const t = now();
      if (t - lastSweep > IDLE_WINDOWS * limit.windowSeconds * 1000) {
        for (const [k, b] of buckets) if (t - b.at > IDLE_WINDOWS * limit.windowSeconds * 1000) buckets.delete(k);
        lastSweep = t;
      }
      const b = buckets.get(client) ?? { tokens: capacity, at: t };
      b.tokens = Math.min(capacity, b.tokens + (t - b.at) * perMs);
      b.at = t;
      buckets.set(client, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return undefined;
      }
      // WAF's header is static (the whole window); the emulation sends the same.
      return {
        statusCode: 429,
        headers: { 'content-type': RATE_LIMITED_CONTENT_TYPE, ...rateLimitedHeaders(limit.windowSeconds) },
        body: JSON.stringify(RATE_LIMITED_PROBLEM),
      };
    },
  };
}
