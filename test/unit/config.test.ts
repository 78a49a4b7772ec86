import { describe, expect, it } from 'vitest';
import { assertDeployable, devConfig, needsChannelLookups, parseConfig } from '../../lambda/config/schema';

const channel = { id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Abc' };
const base = { channels: [channel], entitlements: [{ name: 'e', channels: ['a'] }] };

describe('config', () => {
  it('the dev config is valid and has the demo channel', () => {
    expect(devConfig().channels.map((c) => c.id)).toEqual(['demo']);
  });

  it('applies defaults', () => {
    const c = parseConfig(base);
    expect(c.playback.ttlSeconds).toEqual({ default: 300, min: 30, max: 3600 });
    expect(c.secrets).toEqual({ maxAgeSeconds: 300, maxStaleSeconds: 3600 });
    expect(c.origins).toEqual({ allow: [], strictOriginEnforcement: false });
  });

  it.each(['not a url', 'https://', 'http://[::1', 'https://a b.example/x.m3u8'])('refuses the unparseable playbackUrl %j with the config error, not a TypeError', (playbackUrl) => {
    expect(() => parseConfig({ ...base, channels: [{ ...channel, playbackUrl }] })).toThrow(/channels\.0\.playbackUrl: playbackUrl must be an https URL/);
  });

  it.each([
    ['an unknown top-level key', { ...base, chanels: [] }, /Unrecognized key/],
    ['a duplicate channel id', { ...base, channels: [channel, { ...channel, arn: channel.arn + 'x' }] }, /duplicate channel id/],
    ['an entitlement to an unknown channel', { ...base, entitlements: [{ name: 'e', channels: ['zzz'] }] }, /unknown channel id "zzz"/],
    ['strict origins with 6 origins', { ...base, origins: { strictOriginEnforcement: true, allow: [1, 2, 3, 4, 5, 6].map((i) => `https://s${i}.example.com`) } }, /1 to 5/],
    ['an origin with a path', { ...base, origins: { allow: ['https://a.example.com/app'] } }, /origin must look like/],
    ['a wildcard over a whole top-level domain', { ...base, origins: { allow: ['https://*.com'] } }, /two labels after/],
    ['an origin with an out-of-range port', { ...base, origins: { allow: ['https://a.example.com:70000'] } }, /port must be 1-65535/],
    ['a wildcard origin', { ...base, origins: { allow: ['*'] } }, /origin must look like/],
    ['a default TTL above max', { ...base, playback: { ttlSeconds: { default: 4000 } } }, /min <= default <= max/],
    ['viewer ids with a default TTL above 600 s', { ...base, playback: { viewerId: true, ttlSeconds: { default: 900 } } }, /600/],
    ['an http playback URL', { ...base, channels: [{ ...channel, playbackUrl: 'http://a.example/x.m3u8' }] }, /https/],
    ['auth none without the acknowledgement', { ...base, auth: { type: 'none' } }, /acknowledge/],
    ['no entitlements', { ...base, entitlements: [] }, /nobody gets a token/],
  ])('refuses %s with a message naming the path', (_n, input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  it('a deployment must say who may call it', () => {
    expect(() => assertDeployable(parseConfig(base))).toThrow(/auth: missing/);
    expect(() =>
      assertDeployable(parseConfig({ ...base, auth: { type: 'none', acknowledge: 'anyone who can reach the API can mint tokens' } })),
    ).not.toThrow();
  });
});

describe('the config the functions trust', () => {
  // A deployed function takes its asset's config file, the synth's parseConfig output, without
  // validating it again (lambda/config/runtime.ts). That is sound only if the output is plain
  // JSON and is its own parse: nothing lost in JSON, no default applied twice.
  const full = parseConfig({
    channels: [
      { id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Aaaa', playbackUrl: 'https://x.playback.live-video.net/a.m3u8', tags: { tier: 'gold' } },
      { id: 'b', arn: 'arn:aws:ivs:eu-west-1:123456789012:channel/Bbbb' },
    ],
    channelDiscovery: { tag: 'token-vending:channel' },
    origins: { allow: ['https://watch.example.com', 'https://*.example.org'], strictOriginEnforcement: true },
    playback: { viewerId: true, ttlSeconds: { default: 120 }, keyRegions: ['eu-west-1'] },
    turn: { uris: ['stun:turn.example.com', 'turns:turn.example.com:5349?transport=tcp'] },
    livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'p', rooms: ['class-*'], e2ee: true, agents: ['helper'], grants: { canPublishSources: ['camera'] } }] },
    entitlements: [{ name: 'gold', when: { claim: 'plan', anyOf: ['gold'] }, channels: ['tag:tier=gold', 'b'], channelsFromClaim: 'subs', turn: true, roomPolicies: ['p'], revokeViewers: true, maximumResolution: 'HD' }],
    auth: { type: 'hmac', hosts: ['api.example.com'] },
    api: { routeThrottle: { 'POST /v1/room-tokens': { rateLimit: 5 } } },
    alarms: { notify: { emails: ['ops@example.com'] } },
    edge: { rateLimitPerCaller: { requests: 60 } },
  });

  it.each([
    ['the dev config', devConfig()],
    ['a config using every section', full],
  ])('parses %s, written as JSON, back to exactly itself', (_name, config) => {
    const written = JSON.stringify(config);
    expect(JSON.parse(written)).toEqual(config);
    expect(JSON.stringify(parseConfig(JSON.parse(written)))).toBe(written);
  });
});

describe('needsChannelLookups', () => {
  const channel = { id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Aaaa' };
  it('is false only when every channel has a playbackUrl and discovery is off', () => {
    expect(needsChannelLookups({ channels: [{ ...channel, playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }] })).toBe(false);
    expect(needsChannelLookups({ channels: [channel] })).toBe(true);
    expect(needsChannelLookups({ channels: [{ ...channel, playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }], channelDiscovery: { tag: 'tv' } })).toBe(true);
    expect(needsChannelLookups({ channels: [], channelDiscovery: { tag: 'tv' } })).toBe(true);
  });
});
