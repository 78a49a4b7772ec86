/**
 * Channels configured without a playback URL are resolved with IVS GetChannel through the
 * real SDK against a loopback IVS endpoint: once per container, and only private channels.
 */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, fakeIvs } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const PRIVATE = 'arn:aws:ivs:us-west-2:123456789012:channel/PrivateOne';
const PUBLIC = 'arn:aws:ivs:us-west-2:123456789012:channel/PublicOne';
const GONE = 'arn:aws:ivs:us-west-2:123456789012:channel/Deleted';
const keys = p384KeyPair();
let ivs: Awaited<ReturnType<typeof fakeIvs>>;
let server: LocalServer;

beforeAll(async () => {
  ivs = await fakeIvs([
    { arn: PRIVATE, playbackUrl: 'https://p.us-west-2.playback.live-video.net/api/video/v1/private.m3u8', authorized: true },
    { arn: PUBLIC, playbackUrl: 'https://p.us-west-2.playback.live-video.net/api/video/v1/public.m3u8', authorized: false },
  ]);
  server = await startLocalServer({
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_IVS: ivs.url,
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.pkcs8Pem),
    CONFIG_FILE: writeTempFile(
      'config.json',
      JSON.stringify({
        channels: [
          { id: 'private', arn: PRIVATE },
          { id: 'public', arn: PUBLIC },
          { id: 'gone', arn: GONE },
        ],
        entitlements: [{ name: 'everyone', channels: ['*'] }],
      }),
    ),
  });
});
afterAll(async () => {
  await server?.stop();
  await ivs?.close();
});

describe('a channel without a configured playback URL', () => {
  it('is looked up once with GetChannel and then served from the cache', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => server.post('/v1/playback-tokens', { channel: 'private' })));
    for (const res of results) expect(res.status).toBe(200);
    const { token, playbackUrl } = await jsonOf(results[0]!);
    expect(playbackUrl).toBe(`https://p.us-west-2.playback.live-video.net/api/video/v1/private.m3u8?token=${token}`);
    expect((await jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] })).payload['aws:channel-arn']).toBe(PRIVATE);
    expect(ivs.calls.filter((c) => c.body.arn === PRIVATE)).toHaveLength(1);
  });

  it('is refused with a clear 409 when IVS says it is not a private (authorized) channel', async () => {
    const res = await server.post('/v1/playback-tokens', { channel: 'public' });
    expect(res.status).toBe(409);
    const problem = await jsonOf(res);
    expect(problem.code).toBe('channel_not_private');
    expect(problem.token).toBeUndefined();
  });

  it('answers 503 with Retry-After when IVS cannot find it', async () => {
    const res = await server.post('/v1/playback-tokens', { channel: 'gone' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await jsonOf(res)).code).toBe('channel_unavailable');
  });
});
