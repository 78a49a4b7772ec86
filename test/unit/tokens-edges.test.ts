/**
 * Edges of the pure minting functions that the main token tests do not pin: the limits of
 * `aws:viewer-id`, which claims an empty or absent input leaves out, and the ICE server list
 * for a TURN-only or upper-case URI configuration.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig, type RoomPolicy } from '../../lambda/config/schema';
import { playbackClaims } from '../../lambda/tokens/playback';
import { roomTokenClaims } from '../../lambda/tokens/room';
import { chooseTtl, epochSeconds } from '../../lambda/tokens/ttl';
import { turnCredentials } from '../../lambda/tokens/turn';

const ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/Abc';
const now = new Date('2026-11-22T12:00:00.999Z');
const nowSeconds = 1795348800; // 2026-11-22T12:00:00Z, by `date -ud @1795348800`

describe('playback claims at their limits', () => {
  it('accept a viewer id of exactly 40 characters and refuse an empty one', () => {
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 60, viewerId: 'v'.repeat(40) })['aws:viewer-id']).toBe('v'.repeat(40));
    expect(() => playbackClaims({ channelArn: ARN, now, ttlSeconds: 60, viewerId: '' })).toThrow(/1-40/);
  });
  it('let a plain token live longer than 600 s (the cap is only for revocable ones)', () => {
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 3600 }).exp).toBe(nowSeconds + 3600);
  });
  it('leave out an empty origin list', () => {
    expect(playbackClaims({ channelArn: ARN, now, ttlSeconds: 60, allowOrigin: '', strictOriginEnforcement: true })).toEqual({ 'aws:channel-arn': ARN, exp: nowSeconds + 60 });
  });
});

describe('epochSeconds and chooseTtl', () => {
  it('round the clock down to whole seconds', () => {
    expect(epochSeconds(now)).toBe(nowSeconds);
    expect(epochSeconds(new Date(0))).toBe(0);
  });
  it('cap the default by the lower of max and cap', () => {
    expect(chooseTtl(undefined, { default: 900, min: 60, max: 700 }, 800)).toBe(700);
    expect(chooseTtl(700, { default: 900, min: 60, max: 700 })).toBe(700);
  });
});

describe('room token claims leave out what is empty', () => {
  const [policy] = parseConfig({
    channels: [{ id: 'a', arn: ARN }],
    livekit: {
      url: 'wss://lk.example.com',
      roomPolicies: [
        { name: 'quiet', rooms: ['r'], grants: { canPublish: false, canPublishSources: ['camera'], hidden: true, canUpdateOwnMetadata: true } },
      ],
    },
    entitlements: [{ name: 'e', roomPolicies: ['quiet'] }],
  }).livekit!.roomPolicies as [RoomPolicy];
  const base = { apiKey: 'K', identity: 'u', room: 'r', policy, now, ttlSeconds: 60 };

  it('no publish sources for a non-publisher; hidden and own-metadata as the policy says', () => {
    const c = roomTokenClaims(base);
    expect(c.video).toEqual({ room: 'r', roomJoin: true, canPublish: false, canSubscribe: true, canPublishData: false, canUpdateOwnMetadata: true, hidden: true });
    expect(c).toEqual({ iss: 'K', sub: 'u', nbf: nowSeconds, exp: nowSeconds + 60, video: c.video });
  });
  it('no name, metadata or attributes when they are empty', () => {
    const c = roomTokenClaims({ ...base, name: '', metadata: '', attributes: {} });
    expect(Object.keys(c).sort()).toEqual(['exp', 'iss', 'nbf', 'sub', 'video']);
  });
  it('metadata and attributes when given (attributes copied, not shared)', () => {
    const attributes = { seat: '3' };
    const c = roomTokenClaims({ ...base, metadata: '{"a":1}', attributes });
    expect(c.metadata).toBe('{"a":1}');
    attributes.seat = '4';
    expect(c.attributes).toEqual({ seat: '3' });
  });
});

describe('TURN credentials for other URI lists', () => {
  const key = createSecretKey(Buffer.from('north-star'));
  it('have a single ICE server when no STUN URI is configured, and read schemes case-insensitively', () => {
    const c = turnCredentials({ userId: 'u', now, ttlSeconds: 60, key, uris: ['TURN:turn.example.com:3478', 'turns:turn.example.com:5349', 'STUNS:stun.example.com'] });
    expect(c.username).toBe(`${nowSeconds + 60}:u`);
    expect(c.password).toBe(createHmac('sha1', 'north-star').update(c.username).digest('base64'));
    expect(c.uris).toEqual(['TURN:turn.example.com:3478', 'turns:turn.example.com:5349']);
    expect(c.iceServers).toEqual([
      { urls: ['STUNS:stun.example.com'] },
      { urls: c.uris, username: c.username, credential: c.password },
    ]);
    const turnOnly = turnCredentials({ userId: 'u', now, ttlSeconds: 60, key, uris: ['turn:turn.example.com:3478'] });
    expect(turnOnly.iceServers).toEqual([{ urls: ['turn:turn.example.com:3478'], username: turnOnly.username, credential: turnOnly.password }]);
  });
  it('do not take a URI that merely contains "turn:" for a TURN server', () => {
    const c = turnCredentials({ userId: 'u', now, ttlSeconds: 60, key, uris: ['xturn:a', 'turn:b'] });
    expect(c.uris).toEqual(['turn:b']);
  });
});
