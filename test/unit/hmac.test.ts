import { createHmac, createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacIssuer } from '../../lambda/http/caller';
import { canonicalQuery, hmacNamespace, hmacSignature, safeEqualHex, sha256Hex, stringToSign, verifyHmacRequest } from '../../lambda/http/hmac';
import { parseHmacKeys, SecretFormatError } from '../../lambda/secrets/keys';

// The README's known-answer vector, computed with openssl (not with this code):
//   printf '%s' '{"channel":"main-stage"}' | openssl dgst -sha256
//   printf 'TV2-HMAC-SHA256\nPOST\napi.example.com\n/v1/playback-tokens\n\n1767225600\nbackend-1\nuser-42\n<hash>' \
//     | openssl dgst -sha256 -hmac example-key-please-rotate
// and with the query "b=x y&a=1" (canonical: "a=1&b=x%20y") in place of the empty fifth line.
const VECTOR = {
  key: 'example-key-please-rotate',
  body: '{"channel":"main-stage"}',
  bodySha256: '1b33f6c57cafe2e7b834cb21359a6b802f9da26996b893d14179ad3b7c4cd703',
  signature: '802f75bafc584f5077516001ce359b9c78cb14bbc9740de426dfa775617e51f8',
  signatureWithQuery: '461716723e3d1b62748dbdc9634d496cd3db00509b0fa0635bf37bb4db021214',
};
const target = { method: 'POST', hosts: ['api.example.com'], path: '/v1/playback-tokens', query: '' };
const req = { method: 'POST', host: 'api.example.com', path: '/v1/playback-tokens', query: '', timestamp: '1767225600', keyId: 'backend-1', subject: 'user-42', contentSha256: VECTOR.bodySha256 };
const keys = new Map([['backend-1', createSecretKey(Buffer.from(VECTOR.key))]]);
const headers = {
  'x-tv-key-id': 'backend-1',
  'x-tv-timestamp': req.timestamp,
  'x-tv-subject': req.subject,
  'x-tv-content-sha256': VECTOR.bodySha256,
  'x-tv-signature': VECTOR.signature,
};
const T = 1767225600;

describe('HMAC request signing (TV2)', () => {
  it('matches the known-answer vectors', () => {
    expect(sha256Hex(VECTOR.body)).toBe(VECTOR.bodySha256);
    expect(stringToSign(req)).toBe(`TV2-HMAC-SHA256\nPOST\napi.example.com\n/v1/playback-tokens\n\n1767225600\nbackend-1\nuser-42\n${VECTOR.bodySha256}`);
    expect(hmacSignature(keys.get('backend-1')!, req)).toBe(VECTOR.signature);
    expect(hmacSignature(keys.get('backend-1')!, { ...req, query: 'b=x+y&a=1' })).toBe(VECTOR.signatureWithQuery);
    expect(hmacSignature(keys.get('backend-1')!, { ...req, query: 'b=x%20y&a=1' })).toBe(VECTOR.signatureWithQuery);
  });

  it('canonicalises the query: decoded, RFC 3986-encoded, sorted by name then value', () => {
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('b=2&a=1&a=0')).toBe('a=0&a=1&b=2');
    expect(canonicalQuery("x=it's*(ok)!&y=%E2%82%AC")).toBe('x=it%27s%2A%28ok%29%21&y=%E2%82%AC');
  });

  it('accepts a timestamp up to 300 s old and 30 s ahead, and nothing beyond', () => {
    for (const now of [T, T + 300, T - 30]) {
      expect(verifyHmacRequest(headers, target, keys, now)).toMatchObject({ ok: true, keyId: 'backend-1', subject: 'user-42' });
    }
    expect(verifyHmacRequest(headers, target, keys, T + 301)).toEqual({ ok: false, reason: 'timestamp older than 300 s' });
    // A request stamped 31 s in the future (was accepted up to 300 s ahead under TV1).
    expect(verifyHmacRequest(headers, target, keys, T - 31)).toEqual({ ok: false, reason: 'timestamp more than 30 s in the future' });
  });

  it.each([
    ['method', { method: 'GET' }],
    ['path', { path: '/v1/turn-credentials' }],
    ['host (another stack sharing the keys)', { hosts: ['api.other-stack.example.com'] }],
    ['query', { query: 'ttlSeconds=3600' }],
  ])('refuses another %s', (_n, change) => {
    expect(verifyHmacRequest(headers, { ...target, ...change }, keys, T)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('accepts a signature over any host the deployment answers to (API Gateway\'s domain, or a configured CloudFront alias)', () => {
    const hosts = ['abc123.execute-api.us-east-1.amazonaws.com', 'api.example.com'];
    expect(verifyHmacRequest(headers, { ...target, hosts }, keys, T)).toMatchObject({ ok: true });
    expect(verifyHmacRequest(headers, { ...target, hosts: hosts.slice(0, 1) }, keys, T)).toMatchObject({ ok: false, reason: 'signature mismatch' });
  });

  it('binds the key id: the same key value under another id does not verify', () => {
    const twoIds = new Map([...keys, ['backend-2', keys.get('backend-1')!]]);
    expect(verifyHmacRequest({ ...headers, 'x-tv-key-id': 'backend-2' }, target, twoIds, T)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('no longer accepts a TV1 signature (key id, host and query unsigned)', () => {
    const tv1 = createHmac('sha256', VECTOR.key)
      .update(['TV1-HMAC-SHA256', 'POST', '/v1/playback-tokens', req.timestamp, 'user-42', VECTOR.bodySha256].join('\n'))
      .digest('hex');
    expect(verifyHmacRequest({ ...headers, 'x-tv-signature': tv1 }, target, keys, T)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it.each([
    ['x-tv-key-id', 'backend-2', 'unknown key id'],
    ['x-tv-timestamp', '1767225601', 'signature mismatch'],
    ['x-tv-timestamp', '17672256e2', 'malformed timestamp'],
    ['x-tv-subject', 'user-43', 'signature mismatch'],
    ['x-tv-subject', 'user\u202e24-resu', 'malformed subject'],
    ['x-tv-content-sha256', '0'.repeat(64), 'signature mismatch'],
    ['x-tv-signature', VECTOR.signature.slice(0, 63), 'malformed hash or signature'],
    ['x-tv-signature', undefined, 'missing signature headers'],
  ])('refuses a changed %s (%j)', (name, value, reason) => {
    expect(verifyHmacRequest({ ...headers, [name]: value }, target, keys, T)).toEqual({ ok: false, reason });
  });

  it('gives each key id namespace its own issuer; a versioned id keeps its namespace', () => {
    expect(hmacNamespace('backend-1')).toBe('backend-1');
    expect(hmacNamespace('backend-1.2027')).toBe('backend-1');
    expect(hmacIssuer(hmacNamespace('backend-2'))).toBe('urn:token-vending:hmac:backend-2');
  });

  it('compares in constant time and treats different lengths as unequal', () => {
    expect(safeEqualHex('abcd', 'abcd')).toBe(true);
    expect(safeEqualHex('abcd', 'abce')).toBe(false);
    expect(safeEqualHex('abcd', 'abcde')).toBe(false);
  });

  it('parses several keys for rotation and refuses short ones', () => {
    expect([...parseHmacKeys(JSON.stringify({ a: 'x'.repeat(32), b: 'y'.repeat(40) })).keys()]).toEqual(['a', 'b']);
    expect(() => parseHmacKeys(JSON.stringify({ a: 'short' }))).toThrow(SecretFormatError);
    expect(() => parseHmacKeys('{}')).toThrow(SecretFormatError);
    expect(() => parseHmacKeys('not json')).toThrow(SecretFormatError);
    expect(() => parseHmacKeys(JSON.stringify({ 'bad id!': 'x'.repeat(32) }))).toThrow(SecretFormatError);
    expect([...parseHmacKeys(JSON.stringify({ 'backend-1.2027': 'x'.repeat(32) })).keys()]).toEqual(['backend-1.2027']);
  });
});
