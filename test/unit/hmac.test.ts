import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSignature, safeEqualHex, sha256Hex, stringToSign, verifyHmacRequest } from '../../lambda/http/hmac';
import { parseHmacKeys, SecretFormatError } from '../../lambda/secrets/keys';

// The README's known-answer vector, computed with openssl (not with this code):
//   printf '%s' '{"channel":"main-stage"}' | openssl dgst -sha256
//   printf 'TV1-HMAC-SHA256\nPOST\n/v1/playback-tokens\n1767225600\nuser-42\n<hash>' | openssl dgst -sha256 -hmac example-key-please-rotate
const VECTOR = {
  key: 'example-key-please-rotate',
  body: '{"channel":"main-stage"}',
  bodySha256: '1b33f6c57cafe2e7b834cb21359a6b802f9da26996b893d14179ad3b7c4cd703',
  signature: 'fdde9cbbf6de0a9c68a281ce5c04c416974497886c07b07ee2f0ca1e4d4c044e',
};
const req = { method: 'POST', path: '/v1/playback-tokens', timestamp: '1767225600', subject: 'user-42', contentSha256: VECTOR.bodySha256 };
const keys = new Map([['backend-1', createSecretKey(Buffer.from(VECTOR.key))]]);
const headers = {
  'x-tv-key-id': 'backend-1',
  'x-tv-timestamp': req.timestamp,
  'x-tv-subject': req.subject,
  'x-tv-content-sha256': VECTOR.bodySha256,
  'x-tv-signature': VECTOR.signature,
};

describe('HMAC request signing', () => {
  it('matches the known-answer vector', () => {
    expect(sha256Hex(VECTOR.body)).toBe(VECTOR.bodySha256);
    expect(stringToSign(req)).toBe(`TV1-HMAC-SHA256\nPOST\n/v1/playback-tokens\n1767225600\nuser-42\n${VECTOR.bodySha256}`);
    expect(hmacSignature(keys.get('backend-1')!, req)).toBe(VECTOR.signature);
  });

  it('verifies within 300 s either side, and not beyond', () => {
    for (const now of [1767225600, 1767225600 + 300, 1767225600 - 300]) {
      expect(verifyHmacRequest(headers, 'POST', req.path, keys, now)).toMatchObject({ ok: true, keyId: 'backend-1', subject: 'user-42' });
    }
    expect(verifyHmacRequest(headers, 'POST', req.path, keys, 1767225901)).toEqual({ ok: false, reason: 'timestamp outside the 5-minute window' });
    expect(verifyHmacRequest(headers, 'POST', req.path, keys, 1767225299)).toMatchObject({ ok: false });
  });

  it.each([
    ['method', { method: 'GET' }],
    ['path', { path: '/v1/turn-credentials' }],
  ])('refuses another %s', (_n, change) => {
    const r = { method: 'POST', path: req.path, ...change };
    expect(verifyHmacRequest(headers, r.method, r.path, keys, 1767225600)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it.each([
    ['x-tv-key-id', 'backend-2', 'unknown key id'],
    ['x-tv-timestamp', '1767225601', 'signature mismatch'],
    ['x-tv-timestamp', '17672256e2', 'malformed timestamp'],
    ['x-tv-subject', 'user-43', 'signature mismatch'],
    ['x-tv-content-sha256', '0'.repeat(64), 'signature mismatch'],
    ['x-tv-signature', VECTOR.signature.slice(0, 63), 'malformed hash or signature'],
    ['x-tv-signature', undefined, 'missing signature headers'],
  ])('refuses a changed %s (%s)', (name, value, reason) => {
    expect(verifyHmacRequest({ ...headers, [name]: value }, 'POST', req.path, keys, 1767225600)).toEqual({ ok: false, reason });
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
  });
});
