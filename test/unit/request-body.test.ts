/**
 * How a request body is refused, as a client sees it: the status, the `code`, and where a
 * field error points. Through the exported parser and problem mapping, in-process.
 */
import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lambda/http/handler';
import {
  badRequest,
  conflict,
  methodNotAllowed,
  notFound,
  ProblemError,
  problemResponse,
  unauthorized,
  unavailable,
} from '../../lambda/http/problem';
import { header, MAX_BODY_BYTES, parseJsonBody } from '../../lambda/http/request';
import { playbackTokenRequest, turnCredentialsRequest } from '../../lambda/http/schemas';

const ev = (body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }, isBase64Encoded = false) =>
  ({ body, headers, isBase64Encoded }) as unknown as HttpEvent;

/** The problem a parse ends in, as its response body. */
function refusal(run: () => unknown): { status: number; body: Record<string, any>; headers: Record<string, unknown> } {
  try {
    run();
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    const r = problemResponse(err);
    return { status: r.statusCode!, body: JSON.parse(String(r.body)), headers: r.headers as Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

describe('parseJsonBody', () => {
  it('accepts a body of exactly the limit and refuses one byte more with 413', () => {
    expect(MAX_BODY_BYTES).toBe(8192);
    const pad = (n: number) => JSON.stringify({ channel: 'c'.repeat(n - '{"channel":""}'.length) });
    expect(Buffer.byteLength(pad(8192))).toBe(8192);
    // 8192 bytes pass the size check (and then fail the schema: channel is at most 256).
    expect(refusal(() => parseJsonBody(ev(pad(8192)), playbackTokenRequest)).body.code).toBe('invalid_request');
    const big = refusal(() => parseJsonBody(ev(pad(8193)), playbackTokenRequest));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'body_too_large', detail: 'The request body exceeds 8192 bytes.' });
  });

  it('counts bytes, not characters, and honours a smaller per-route limit', () => {
    const euro = JSON.stringify({ channel: '€'.repeat(100) }); // 3 bytes each
    expect(refusal(() => parseJsonBody(ev(euro), playbackTokenRequest, { maxBytes: 300 })).status).toBe(413);
  });

  it('decodes a base64-encoded body (API Gateway does this for binary media types)', () => {
    const body = Buffer.from('{"channel":"demo","ttlSeconds":60}').toString('base64');
    expect(parseJsonBody(ev(body, { 'content-type': 'application/json' }, true), playbackTokenRequest)).toEqual({ channel: 'demo', ttlSeconds: 60 });
  });

  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/merge-patch+json', true],
    ['text/plain', false],
    ['application/x-www-form-urlencoded', false],
    ['application/jsonp', false],
  ])('content-type %s -> accepted: %s', (type, accepted) => {
    const run = () => parseJsonBody(ev('{"channel":"demo"}', { 'content-type': type }), playbackTokenRequest);
    if (accepted) expect(run()).toEqual({ channel: 'demo' });
    else expect(refusal(run)).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
  });

  it('accepts a JSON body without content-type (a curl call) ', () => {
    expect(parseJsonBody(ev('{"channel":"demo"}', {}), playbackTokenRequest)).toEqual({ channel: 'demo' });
  });

  it('needs a body unless the route says it is optional; then an empty one is {}', () => {
    expect(refusal(() => parseJsonBody(ev(undefined), playbackTokenRequest))).toMatchObject({ status: 400, body: { code: 'missing_body' } });
    expect(refusal(() => parseJsonBody(ev(''), playbackTokenRequest)).body.code).toBe('missing_body');
    expect(parseJsonBody(ev(undefined), turnCredentialsRequest, { optional: true })).toEqual({});
    expect(parseJsonBody(ev('', { 'content-type': 'text/plain' }), turnCredentialsRequest, { optional: true })).toEqual({});
  });

  it.each([
    ['{', 'malformed_json'],
    ['[]', 'invalid_request'],
    ['null', 'invalid_request'],
    ['"x"', 'invalid_request'],
    ['{"__proto__": {"channel": "x"}, "channel": "demo"}', 'invalid_request'],
  ])('refuses %j with 400 %s', (body, code) => {
    expect(refusal(() => parseJsonBody(ev(body), playbackTokenRequest))).toMatchObject({ status: 400, body: { code } });
  });

  it('says which field is wrong, in the detail and in errors[]', () => {
    const r = refusal(() => parseJsonBody(ev('{"channel":"demo","ttlSeconds":"60","extra":1}'), playbackTokenRequest));
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['(body)', 'ttlSeconds']);
    expect(r.body.detail).toMatch(/^(ttlSeconds|\(body\)): .+; (ttlSeconds|\(body\)): .+$/);
  });
});

describe('header', () => {
  it('reads API Gateway\'s lower-cased header names whatever case is asked for', () => {
    const e = ev(undefined, { origin: 'https://a.example' });
    expect(header(e, 'Origin')).toBe('https://a.example');
    expect(header({} as HttpEvent, 'origin')).toBeUndefined();
  });
});

describe('problem responses', () => {
  it('are problem+json, never cached, with type, title, status, detail and code', () => {
    const r = problemResponse(notFound('No such route.'));
    expect(r.statusCode).toBe(404);
    expect(r.headers).toEqual({ 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
    expect(JSON.parse(String(r.body))).toEqual({ type: 'urn:token-vending:problem:not_found', title: 'Not Found', status: 404, detail: 'No such route.', code: 'not_found' });
  });
  it('carry Allow on a 405, Retry-After on a 503, and errors[] only when there are some', () => {
    expect(problemResponse(methodNotAllowed(['GET', 'POST'])).headers).toMatchObject({ allow: 'GET, POST' });
    expect(JSON.parse(String(problemResponse(methodNotAllowed(['POST'])).body)).detail).toBe('Use POST.');
    expect(problemResponse(unavailable('secret_unavailable', 'later', 5)).headers).toMatchObject({ 'retry-after': '5' });
    expect(JSON.parse(String(problemResponse(badRequest('invalid_request', 'x', [])).body))).not.toHaveProperty('errors');
    expect(JSON.parse(String(problemResponse(badRequest('invalid_request', 'x', [{ path: 'a', message: 'b' }])).body)).errors).toEqual([{ path: 'a', message: 'b' }]);
  });
  it.each([
    [unauthorized('unauthenticated', 'd'), 401, 'Unauthorized'],
    [conflict('viewer_id_disabled', 'd'), 409, 'Conflict'],
    [unavailable('c', 'd', 1), 503, 'Service Unavailable'],
  ])('%# maps to its status and title', (p, status, title) => {
    expect(JSON.parse(String(problemResponse(p).body))).toMatchObject({ status, title });
  });
});
