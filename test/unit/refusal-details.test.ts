/**
 * What a client reads in a refusal, exactly: the problem's title and detail per status, why a
 * body was refused, why a signed request was refused, and what the edge's secret and 429 look
 * like. Clients and operators read these strings; a changed one is a changed API.
 */
import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lambda/http/handler';
import { originVerified, parseOriginVerifySecret, RATE_LIMITED_CONTENT_TYPE, rateLimitedHeaders } from '../../lambda/http/edge';
import { canonicalQuery, hmacSignature, sha256Hex, verifyHmacRequest } from '../../lambda/http/hmac';
import {
  badRequest,
  forbidden,
  methodNotAllowed,
  payloadTooLarge,
  ProblemError,
  problemResponse,
  unauthorized,
  unavailable,
  unsupportedMediaType,
} from '../../lambda/http/problem';
import { parseJsonBody } from '../../lambda/http/request';
import { playbackTokenRequest, roomTokenRequest, turnCredentialsRequest } from '../../lambda/http/schemas';
import { SecretFormatError } from '../../lambda/secrets/keys';

const body = (p: ProblemError) => JSON.parse(String(problemResponse(p).body)) as Record<string, unknown>;

describe('problem titles and details', () => {
  it('carry the RFC 9110 reason phrase of each status', () => {
    expect(body(badRequest('x', 'd'))).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(body(unauthorized('x', 'd'))).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(body(forbidden('x', 'd'))).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(body(payloadTooLarge(8192))).toEqual({
      type: 'urn:token-vending:problem:body_too_large', title: 'Content Too Large', status: 413, code: 'body_too_large',
      detail: 'The request body exceeds 8192 bytes.',
    });
    expect(body(unsupportedMediaType())).toEqual({
      type: 'urn:token-vending:problem:unsupported_media_type', title: 'Unsupported Media Type', status: 415, code: 'unsupported_media_type',
      detail: 'Send the body as application/json.',
    });
    expect(body(unavailable('secret_unavailable', 'd', 5))).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  it('405 names the allowed methods in the detail and in Allow', () => {
    const r = problemResponse(methodNotAllowed(['GET', 'POST']));
    expect(JSON.parse(String(r.body))).toMatchObject({ code: 'method_not_allowed', title: 'Method Not Allowed', detail: 'Use GET, POST.' });
    expect(r.headers).toMatchObject({ allow: 'GET, POST' });
  });
});

const ev = (b: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  ({ body: b, headers, isBase64Encoded: false }) as unknown as HttpEvent;
function refused(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (err) {
    if (err instanceof ProblemError) return body(err);
    throw err;
  }
  throw new Error('not refused');
}

describe('why a body is refused', () => {
  it('says a required body is missing', () => {
    expect(refused(() => parseJsonBody(ev(''), playbackTokenRequest))).toMatchObject({ code: 'missing_body', detail: 'A JSON request body is required.' });
  });
  it('says the body is not JSON', () => {
    expect(refused(() => parseJsonBody(ev('{'), playbackTokenRequest))).toMatchObject({ code: 'malformed_json', detail: 'The request body is not valid JSON.' });
  });
  it('names "__proto__" as the property that is not allowed, wherever it is', () => {
    for (const raw of ['{"__proto__":{"ttlSeconds":1}}', '{"channel":"a","x":{"__proto__":1}}']) {
      expect(refused(() => parseJsonBody(ev(raw), playbackTokenRequest)), raw).toMatchObject({
        code: 'invalid_request', detail: 'The property name "__proto__" is not allowed.',
      });
    }
  });
  it.each(['null', '[]', '[{"channel":"a"}]', '"a"', '1', 'true'])('refuses %s: the body must be a JSON object', (raw) => {
    expect(refused(() => parseJsonBody(ev(raw), turnCredentialsRequest, { optional: true }))).toEqual({
      type: 'urn:token-vending:problem:invalid_request', title: 'Bad Request', status: 400, code: 'invalid_request',
      detail: 'The request body must be a JSON object.',
    });
  });
  it('points a whole-body error at "(body)" and a field error at the field', () => {
    const p = refused(() => parseJsonBody(ev('{"channel":"a","extra":1}'), playbackTokenRequest));
    expect(p.errors).toEqual([{ path: '(body)', message: 'Unrecognized key: "extra"' }]);
    expect(p.detail).toBe('(body): Unrecognized key: "extra"');
    const nested = refused(() => parseJsonBody(ev('{"room_name":"demo","room_config":{"agents":[{"agent_name":5}]}}'), roomTokenRequest));
    expect(nested.errors).toEqual([{ path: 'room_config.agents.0.agent_name', message: expect.any(String) }]);
    expect(nested.detail).toMatch(/^room_config\.agents\.0\.agent_name: /);
  });
  it('says which content type to send', () => {
    expect(refused(() => parseJsonBody(ev('{}', { 'content-type': 'text/plain' }), playbackTokenRequest))).toMatchObject({
      status: 415, code: 'unsupported_media_type', detail: 'Send the body as application/json.',
    });
  });
});

describe('the origin-verify secret and the edge 429', () => {
  const s32 = 'c'.repeat(32);
  const p32 = 'p'.repeat(32);
  it('takes a current value of 32 characters and refuses 31, naming the field', () => {
    expect(parseOriginVerifySecret(JSON.stringify({ current: s32 }))).toHaveLength(1);
    expect(() => parseOriginVerifySecret(JSON.stringify({ current: s32.slice(1) }))).toThrow(
      new SecretFormatError('origin-verify secret needs "current": a string of at least 32 characters'),
    );
  });
  it('takes a previous value of 32 characters and refuses 31', () => {
    expect(parseOriginVerifySecret(JSON.stringify({ current: s32, previous: p32 }))).toHaveLength(2);
    expect(() => parseOriginVerifySecret(JSON.stringify({ current: s32, previous: p32.slice(1) }))).toThrow(
      new SecretFormatError('origin-verify secret "previous" must be a string of at least 32 characters'),
    );
  });
  it('says when the secret is not JSON (and reads a binary secret)', () => {
    expect(() => parseOriginVerifySecret('not json')).toThrow(new SecretFormatError('origin-verify secret is not valid JSON'));
    expect(originVerified(s32, parseOriginVerifySecret(Buffer.from(JSON.stringify({ current: s32 }))))).toBe(true);
  });
  it('opens the door for current and previous, and for nothing else', () => {
    const accepted = parseOriginVerifySecret(JSON.stringify({ current: s32, previous: p32 }));
    expect(originVerified(s32, accepted)).toBe(true);
    expect(originVerified(p32, accepted)).toBe(true);
    expect(originVerified('Stryker was here', accepted)).toBe(false);
    expect(originVerified('', parseOriginVerifySecret(JSON.stringify({ current: s32 })))).toBe(false);
  });
  it('429 body type: what WAF sends for the edge stack\'s APPLICATION_JSON custom body, which the local limiter copies', () => {
    expect(RATE_LIMITED_CONTENT_TYPE).toBe('application/json');
  });
  it('429 headers: Retry-After, no-store, readable from any page', () => {
    expect(rateLimitedHeaders(300)).toEqual({
      'retry-after': '300',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'retry-after',
    });
  });
});

describe('why a signed request is refused, at the boundaries', () => {
  const key = createSecretKey(Buffer.from('k'.repeat(32)));
  const keys = new Map([['backend-1', key]]);
  const target = { method: 'POST', hosts: ['api.example.com'], path: '/v1/turn-credentials', query: '' };
  const T = 1767225600;
  const signed = (over: Record<string, string> = {}) => {
    const h = { keyId: 'backend-1', timestamp: String(T), subject: 'user-42', contentSha256: sha256Hex(''), ...over };
    const signature = hmacSignature(key, { method: 'POST', host: 'api.example.com', path: target.path, query: '', ...h });
    return {
      'x-tv-key-id': h.keyId, 'x-tv-timestamp': h.timestamp, 'x-tv-subject': h.subject, 'x-tv-content-sha256': h.contentSha256,
      'x-tv-signature': signature,
    } as Record<string, string>;
  };
  it('accepts a subject of 256 characters and refuses 257', () => {
    expect(verifyHmacRequest(signed({ subject: 's'.repeat(256) }), target, keys, T)).toMatchObject({ ok: true, subject: 's'.repeat(256) });
    expect(verifyHmacRequest(signed({ subject: 's'.repeat(257) }), target, keys, T)).toEqual({ ok: false, reason: 'malformed subject' });
  });
  it('refuses a hash or signature with anything before or after its 64 hex digits', () => {
    const ok = signed();
    for (const [name, value] of [
      ['x-tv-signature', `${ok['x-tv-signature']}0`],
      ['x-tv-signature', `0${ok['x-tv-signature']}`],
      ['x-tv-content-sha256', `${ok['x-tv-content-sha256']}0`],
      ['x-tv-content-sha256', `0${ok['x-tv-content-sha256']}`],
    ] as const) {
      expect(verifyHmacRequest({ ...ok, [name]: value }, target, keys, T), `${name}=${value}`).toEqual({ ok: false, reason: 'malformed hash or signature' });
    }
  });
  it('sorts the query by name first, then by value', () => {
    expect(canonicalQuery('b=1&a=2')).toBe('a=2&b=1');
    expect(canonicalQuery('a=2&b=1')).toBe('a=2&b=1');
    expect(canonicalQuery('a=2&a=1&a=3')).toBe('a=1&a=2&a=3');
    expect(canonicalQuery('a=1&a=1&b=0')).toBe('a=1&a=1&b=0');
    expect(canonicalQuery('b=0&a=1&a=1')).toBe('a=1&a=1&b=0');
  });
});
