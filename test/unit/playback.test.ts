import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { playbackClaims, playbackUrlWithToken, signPlaybackToken } from '../../lambda/tokens/playback';
import { chooseTtl, TtlError } from '../../lambda/tokens/ttl';
import { p384KeyPair } from '../support/keys';

const ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/Abc';
const now = new Date('2026-11-22T12:00:00.750Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

describe('playbackClaims', () => {
  it('puts exp in whole seconds after now', () => {
    const c = playbackClaims({ channelArn: ARN, now, ttlSeconds: 300 });
    expect(c.exp).toBe(nowSeconds + 300);
    expect(Number.isInteger(c.exp)).toBe(true);
    expect(c.exp).toBeLessThan(1e10); // a millisecond exp (AWS's Node sample) is ~1.8e12
  });

  it('writes only the claims asked for', () => {
    // Strict: a claim set to undefined (dropped by JSON anyway) counts as written.
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 60 })).toStrictEqual({ 'aws:channel-arn': ARN, exp: nowSeconds + 60 });
    expect(
      playbackClaims({
        channelArn: ARN, now, ttlSeconds: 60, allowOrigin: 'https://a.example', strictOriginEnforcement: true,
        viewerId: 'v1', singleUseUuid: 'u', maximumResolution: 'SD',
      }),
    ).toEqual({
      'aws:channel-arn': ARN, exp: nowSeconds + 60, 'aws:access-control-allow-origin': 'https://a.example',
      'aws:strict-origin-enforcement': true, 'aws:viewer-id': 'v1', 'aws:single-use-uuid': 'u', 'aws:maximum-resolution': 'SD',
    });
  });

  it('never writes strict origin enforcement without an origin to enforce', () => {
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 60, strictOriginEnforcement: true })).not.toHaveProperty('aws:strict-origin-enforcement');
  });

  it.each([
    ['viewer id', { viewerId: 'abc' }],
    ['single-use uuid', { singleUseUuid: 'abc' }],
  ])('refuses a %s token living past 600 s', (_n, extra) => {
    expect(() => playbackClaims({ channelArn: ARN, now, ttlSeconds: 601, ...extra })).toThrow(/600/);
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 600, ...extra }).exp).toBe(nowSeconds + 600);
  });

  it('refuses a viewer id over 40 characters', () => {
    expect(() => playbackClaims({ channelArn: ARN, now, ttlSeconds: 60, viewerId: 'x'.repeat(41) })).toThrow(/40/);
  });
});

describe('signPlaybackToken', () => {
  it('signs ES384 with typ JWT, verifiable by jose, with no iat from a hidden clock', async () => {
    const k = p384KeyPair();
    const claims = playbackClaims({ channelArn: ARN, now: new Date(), ttlSeconds: 60 });
    const token = signPlaybackToken(claims, k.privateKey);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES384', typ: 'JWT' });
    const { payload } = await jwtVerify(token, k.publicKey, { algorithms: ['ES384'] });
    expect(payload).toEqual(claims);
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(96); // JOSE r||s, not DER
  });
});

describe('playbackUrlWithToken', () => {
  it.each([
    ['https://h.example/a.m3u8', 'https://h.example/a.m3u8?token=T.T.T'],
    ['https://h.example/a.m3u8?x=1', 'https://h.example/a.m3u8?x=1&token=T.T.T'],
    ['https://h.example/a.m3u8?token=old&x=1', 'https://h.example/a.m3u8?token=T.T.T&x=1'],
    ['https://h.example/a.m3u8#frag', 'https://h.example/a.m3u8?token=T.T.T#frag'],
  ])('%s', (url, expected) => {
    expect(playbackUrlWithToken(url, 'T.T.T')).toBe(expected);
  });
});

describe('chooseTtl', () => {
  const bounds = { default: 300, min: 30, max: 3600 };
  it('uses the default when none is asked, lowered to a cap', () => {
    expect(chooseTtl(undefined, bounds)).toBe(300);
    expect(chooseTtl(undefined, { ...bounds, default: 900 }, 600)).toBe(600);
  });
  it.each([29, 3601, 0, -5, 1.5, Number.NaN])('refuses %s instead of clamping it', (ttl) => {
    expect(() => chooseTtl(ttl, bounds)).toThrow(TtlError);
  });
  it('accepts the bounds themselves', () => {
    expect(chooseTtl(30, bounds)).toBe(30);
    expect(chooseTtl(3600, bounds)).toBe(3600);
    expect(() => chooseTtl(601, bounds, 600)).toThrow(/30 to 600/);
  });
});
