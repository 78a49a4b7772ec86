/**
 * The CORS configuration a browser meets: which preflights API Gateway answers and with what
 * (`corsPolicy`, given to API Gateway by the stack), and the same answer from the local
 * server's emulation (`withCorsHeaders`). The e2e tests drive a real browser against the
 * local server; these pin every header value, in-process.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { corsAllows, corsPolicy, isWildcardOrigin } from '../../lambda/http/cors';
import { isPreflight, withCorsHeaders } from '../../lambda/local/cors';

const config = (allow: string[], extra: object = {}) =>
  parseConfig({
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    origins: { allow },
    entitlements: [{ name: 'all', channels: ['*'] }],
    ...extra,
  });

describe('corsPolicy', () => {
  it('allows the exact origins, the methods of the deployed routes, the two request headers a frontend sends, and caches preflights for an hour', () => {
    expect(corsPolicy(config(['https://watch.example.com', 'http://localhost:3000']))).toEqual({
      allowOrigins: ['https://watch.example.com', 'http://localhost:3000'],
      allowMethods: ['GET', 'POST'], // GET: the public JWKS
      allowHeaders: ['authorization', 'content-type'],
      exposeHeaders: ['retry-after'],
      maxAgeSeconds: 3600,
    });
  });

  it('lists each method once, sorted, however many routes use it', () => {
    const c = config(['https://watch.example.com'], {
      turn: { uris: ['turn:turn.example.com:3478'] },
      livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'r', rooms: ['r'] }] },
    });
    expect(corsPolicy(c)!.allowMethods).toEqual(['GET', 'POST']);
  });

  it('leaves subdomain wildcards out (API Gateway cannot match them), and answers no preflight when only wildcards are left', () => {
    expect(corsPolicy(config(['https://*.example.org', 'https://watch.example.com']))!.allowOrigins).toEqual(['https://watch.example.com']);
    expect(corsPolicy(config(['https://*.example.org', 'http://*.example.net:8080']))).toBeUndefined();
    expect(corsPolicy(config([]))).toBeUndefined();
  });

  it('tells a wildcard entry from an exact origin only by "://*."', () => {
    expect(isWildcardOrigin('https://*.example.org')).toBe(true);
    expect(isWildcardOrigin('http://*.localhost:3000')).toBe(true);
    expect(isWildcardOrigin('https://star.example.org')).toBe(false);
    expect(isWildcardOrigin('https://example.org')).toBe(false);
  });

  it('compares origins as exact strings, as API Gateway does: no case folding, no wildcard', () => {
    const policy = corsPolicy(config(['https://watch.example.com', 'https://*.example.org']))!;
    expect(corsAllows(policy, 'https://watch.example.com')).toBe(true);
    expect(corsAllows(policy, 'https://WATCH.example.com')).toBe(false);
    expect(corsAllows(policy, 'https://watch.example.com:443')).toBe(false);
    expect(corsAllows(policy, 'https://a.example.org')).toBe(false);
  });
});

describe('the local server\'s CORS emulation', () => {
  const policy = corsPolicy(config(['https://watch.example.com']))!;
  const ok = { statusCode: 204, headers: { 'x-kept': '1', 'Access-Control-Allow-Origin': '*' }, body: '' };

  it('answers a preflight from an allowed origin with the allowed methods, headers and max age', () => {
    expect(withCorsHeaders(ok, policy, 'https://watch.example.com', true).headers).toEqual({
      'x-kept': '1',
      'access-control-allow-origin': 'https://watch.example.com',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-max-age': '3600',
    });
  });

  it('exposes Retry-After on an actual response, and sends no preflight headers there', () => {
    expect(withCorsHeaders(ok, policy, 'https://watch.example.com', false).headers).toEqual({
      'x-kept': '1',
      'access-control-allow-origin': 'https://watch.example.com',
      'access-control-expose-headers': 'retry-after',
    });
  });

  it('adds nothing for another origin, no origin or no policy, and drops the integration\'s own CORS headers', () => {
    for (const [p, origin] of [[policy, 'https://evil.example.com'], [policy, undefined], [undefined, 'https://watch.example.com']] as const) {
      expect(withCorsHeaders(ok, p, origin, true).headers).toEqual({ 'x-kept': '1' });
    }
  });

  it('takes a request for a preflight only with OPTIONS, an Origin and Access-Control-Request-Method', () => {
    const h = { origin: 'https://watch.example.com', 'access-control-request-method': 'POST' };
    expect(isPreflight('OPTIONS', h)).toBe(true);
    expect(isPreflight('POST', h)).toBe(false);
    expect(isPreflight('OPTIONS', { origin: h.origin })).toBe(false);
    expect(isPreflight('OPTIONS', { 'access-control-request-method': 'POST' })).toBe(false);
  });
});
