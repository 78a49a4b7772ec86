/** The edge's pure parts: the local token bucket, the origin-verify secret and its comparison. */
import { describe, expect, it } from 'vitest';
import { originVerified, parseOriginVerifySecret, RATE_LIMITED_PROBLEM } from '../../lambda/http/edge';
import { tokenBucketLimiter } from '../../lambda/local/rate-limit';
import { SecretFormatError } from '../../lambda/secrets/keys';

describe('the local per-IP token bucket', () => {
  it('lets a client make `requests` in a burst, then refuses it with the WAF 429, per client', () => {
    let t = 0;
    const limiter = tokenBucketLimiter({ requests: 10, windowSeconds: 60 }, () => t);
    for (let i = 0; i < 10; i++) expect(limiter.take('a')).toBeUndefined();
    const refused = limiter.take('a')!;
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body!)).toEqual(RATE_LIMITED_PROBLEM);
    expect(refused.headers).toMatchObject({ 'retry-after': '60', 'content-type': 'application/json' });
    expect(limiter.take('b')).toBeUndefined();
  });

  it('refills at requests/window: one more request every 6 s at 10 per minute, never above the burst', () => {
    let t = 0;
    const limiter = tokenBucketLimiter({ requests: 10, windowSeconds: 60 }, () => t);
    for (let i = 0; i < 10; i++) limiter.take('a');
    t = 5_900;
    expect(limiter.take('a')).toBeDefined();
    t = 6_100;
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBeDefined();
    t = 10 * 60_000; // idle for ages: a full bucket, not more
    for (let i = 0; i < 10; i++) expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBeDefined();
  });
});

describe('the origin-verify secret', () => {
  const current = 'a'.repeat(40);
  const previous = 'b'.repeat(40);

  it('accepts the current and the previous value, and nothing else', () => {
    const accepted = parseOriginVerifySecret(JSON.stringify({ current, previous }));
    expect(originVerified(current, accepted)).toBe(true);
    expect(originVerified(previous, accepted)).toBe(true);
    expect(originVerified(undefined, accepted)).toBe(false);
    expect(originVerified('', accepted)).toBe(false);
    expect(originVerified(current.slice(1), accepted)).toBe(false);
    expect(originVerified(current + 'a', accepted)).toBe(false);
    expect(originVerified(previous, parseOriginVerifySecret(JSON.stringify({ current })))).toBe(false);
  });

  it('refuses a malformed or short secret, without echoing it', () => {
    for (const raw of ['not json', '{}', JSON.stringify({ current: 'short' }), JSON.stringify({ current, previous: 'short' })]) {
      try {
        parseOriginVerifySecret(raw);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(SecretFormatError);
        expect((err as Error).message).not.toContain('short');
      }
    }
  });
});
