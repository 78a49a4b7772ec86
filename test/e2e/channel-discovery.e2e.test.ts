/**
 * Channels discovered at run time from IVS tags: the local server (same handlers as AWS)
 * reaches a loopback IVS through the real @aws-sdk/client-ivs (AWS_ENDPOINT_URL_IVS), which
 * pages ListChannels with nextToken and answers GetChannel.
 */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsChannels, type FakeIvsChannel } from '../support/fake-ivs-channels';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const TAG = 'token-vending:channel';
const arn = (n: string) => `arn:aws:ivs:us-east-1:123456789012:channel/${n}`;
const url = (n: string) => `https://abc.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123456789012.channel.${n}.m3u8`;
const ch = (n: string, authorized: boolean, id?: string, tags: Record<string, string> = {}): FakeIvsChannel => ({
  arn: arn(n),
  playbackUrl: url(n),
  authorized,
  tags: id ? { [TAG]: id, ...tags } : tags,
});

const keys = p384KeyPair();
const keyFile = writeTempFile('key.pem', keys.pkcs8Pem);

async function start(ivsUrl: string, maxAgeSeconds: number, channels: unknown[] = []): Promise<LocalServer> {
  return startLocalServer({
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_IVS: ivsUrl,
    PLAYBACK_PRIVATE_KEY_FILE: keyFile,
    CONFIG_FILE: writeTempFile(
      'config.json',
      JSON.stringify({
        channels,
        channelDiscovery: { tag: TAG },
        secrets: { maxAgeSeconds, maxStaleSeconds: 3600 },
        entitlements: [{ name: 'everyone', channels: ['*'] }],
      }),
    ),
  });
}

const playback = async (server: LocalServer, channel: string) => {
  const res = await server.post('/v1/playback-tokens', { channel });
  return { status: res.status, body: await jsonOf(res), retryAfter: res.headers.get('retry-after') };
};
/** The EMF lines (CloudWatch embedded metric format) in the server's output that carry `metric`. */
const emfFor = (output: string, metric: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => metric in l);
const channelArnOf = async (token: string) => (await jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] })).payload['aws:channel-arn'];

describe('channel discovery, within one cache window', () => {
  // 7 channels, 2 per page: 4 pages; the tagged private channel sits alone on the last one.
  const channels = [
    ch('Untagged1', true),
    ch('PublicTagged', false, 'creator-public'),
    ch('Untagged2', true),
    ch('StudioDup', true, 'studio'),
    ch('Untagged3', true, undefined, { tier: 'premium' }),
    ch('Other', true, 'creator-other'),
    ch('LastPage', true, 'creator-last'),
  ];
  let ivs: Awaited<ReturnType<typeof fakeIvsChannels>>;
  let server: LocalServer;
  beforeAll(async () => {
    ivs = await fakeIvsChannels(channels, { pageSize: 2 });
    server = await start(ivs.url, 600, [{ id: 'studio', arn: arn('Studio'), playbackUrl: url('Studio') }]);
  });
  afterAll(async () => {
    await server?.stop();
    await ivs?.close();
  });

  it('serves a tagged private channel found on the last of 4 pages, with its playback URL from GetChannel', async () => {
    expect(ivs.pages()).toBe(4);
    const { status, body } = await playback(server, 'creator-last');
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await channelArnOf(body.token)).toBe(arn('LastPage'));
    expect(body.channelArn).toBe(arn('LastPage'));
    expect(body.playbackUrl).toBe(`${url('LastPage')}?token=${body.token}`);
    // One full listing: every page once, maxResults at the API maximum, tokens chained.
    const lists = ivs.calls.filter((c) => c.target === 'POST /ListChannels');
    expect(lists).toHaveLength(4);
    expect(lists.map((c) => c.body.maxResults)).toEqual([100, 100, 100, 100]);
    expect(lists[0]!.body.nextToken).toBeUndefined();
    expect(lists.slice(1).every((c) => typeof c.body.nextToken === 'string')).toBe(true);
    expect(lists.every((c) => /^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\/\d{8}\/us-east-1\/ivs\//.test(c.authorization ?? ''))).toBe(true);
  });

  it('serves a discovered channel by its ARN too', async () => {
    const { status, body } = await playback(server, arn('Other'));
    expect(status).toBe(200);
    expect(await channelArnOf(body.token)).toBe(arn('Other'));
  });

  it('refuses an untagged channel, by ARN or by any name, with 403 not_entitled', async () => {
    for (const channel of [arn('Untagged1'), 'Untagged1', 'creator-nobody']) {
      const { status, body } = await playback(server, channel);
      expect(status, channel).toBe(403);
      expect(body.code).toBe('not_entitled');
      expect(body.token).toBeUndefined();
    }
  });

  it('refuses a tagged channel that is not private with 409 channel_not_private, without calling GetChannel', async () => {
    const { status, body } = await playback(server, 'creator-public');
    expect(status).toBe(409);
    expect(body.code).toBe('channel_not_private');
    expect(body.token).toBeUndefined();
    expect(ivs.getChannelCalls(arn('PublicTagged'))).toBe(0);
  });

  it('lets a configured channel win over a discovered one with the same id, and warns once', async () => {
    for (let i = 0; i < 2; i++) {
      const { status, body } = await playback(server, 'studio');
      expect(status).toBe(200);
      expect(await channelArnOf(body.token)).toBe(arn('Studio'));
    }
    expect((await playback(server, arn('StudioDup'))).status).toBe(403);
    expect(server.output().match(/configured channel with the same id or ARN wins/g)).toHaveLength(1);
  });

  it('does not call ListChannels again within the window, whatever is asked (unknown ids included)', async () => {
    const before = ivs.listChannelsCalls();
    const asks = ['creator-last', 'creator-other', 'nope-1', 'nope-2', arn('Nope'), 'creator-public'];
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => playback(server, asks[i % asks.length]!)));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(8).fill(200), ...Array(12).fill(403), ...Array(4).fill(409)].sort());
    expect(ivs.listChannelsCalls()).toBe(before);
    expect(ivs.getChannelCalls(arn('LastPage'))).toBe(1);
  });
});

describe('channel discovery across cache windows (maxAgeSeconds: 1)', () => {
  const channels = [ch('A1', true), ch('A2', true, 'creator-a'), ch('A3', true), ch('Late', true), ch('A5', true, 'creator-b')];
  let ivs: Awaited<ReturnType<typeof fakeIvsChannels>>;
  let server: LocalServer;
  beforeAll(async () => {
    ivs = await fakeIvsChannels(channels, { pageSize: 2 });
    server = await start(ivs.url, 1);
  });
  afterAll(async () => {
    await server?.stop();
    await ivs?.close();
  });

  /** Ask until the answer is `status` (the refresh after a window runs behind a request). */
  async function eventually(channel: string, status: number, withinMs = 15_000) {
    const until = Date.now() + withinMs;
    let last: Awaited<ReturnType<typeof playback>>;
    do {
      last = await playback(server, channel);
      if (last.status === status) return last;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < until);
    throw new Error(`still ${last.status} for ${channel}: ${JSON.stringify(last.body)}`);
  }

  it('answers 503 with Retry-After while IVS throttles and nothing was ever listed, then recovers', async () => {
    ivs.state.mode = 'throttle';
    const { status, body, retryAfter } = await playback(server, 'creator-a');
    expect(status).toBe(503);
    expect(body.code).toBe('channel_unavailable');
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toMatch(/Throttl|Rate exceeded|arn:/);
    expect(emfFor(server.output(), 'IvsLookupFailures').some((l) => l.source === 'ListChannels')).toBe(true);
    ivs.state.mode = 'ok';
    await eventually('creator-a', 200);
  });

  it('serves a channel tagged after start once the cache window has passed, with no deploy', async () => {
    expect((await playback(server, 'creator-late')).status).toBe(403);
    channels.find((c) => c.arn === arn('Late'))!.tags = { [TAG]: 'creator-late' };
    const listsBefore = ivs.listChannelsCalls();
    const res = await eventually('creator-late', 200);
    expect(await channelArnOf(res.body.token)).toBe(arn('Late'));
    expect(ivs.listChannelsCalls()).toBeGreaterThan(listsBefore);
  });

  it.each(['throttle', 'hang'] as const)('keeps serving the cached list while IVS %ss', async (mode) => {
    // Each channel served once already: its playback URL (GetChannel) is cached too.
    for (const channel of ['creator-a', 'creator-b', 'creator-late']) await eventually(channel, 200);
    const lists = ivs.listChannelsCalls();
    ivs.state.mode = mode;
    try {
      // Past the window: every request is answered from the cached list while refreshes fail.
      await new Promise((r) => setTimeout(r, 1_200));
      for (let i = 0; i < 6; i++) {
        for (const channel of ['creator-a', 'creator-b', 'creator-late']) {
          const started = Date.now();
          const { status, body } = await playback(server, channel);
          expect(status, `${mode} ${channel}: ${JSON.stringify(body)}`).toBe(200);
          // Nobody waits on the failing IVS: a wait would last at least its 3 s per-call deadline.
          expect(Date.now() - started).toBeLessThan(2_500);
        }
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(ivs.listChannelsCalls()).toBeGreaterThan(lists); // a refresh was attempted, and failed
    } finally {
      ivs.state.mode = 'ok';
    }
    expect(server.output()).toMatch(/channel discovery refresh failed; serving the cached channel list/);
    // The operator sees it: a failure and a stale value served, both from ListChannels.
    for (const metric of ['IvsLookupFailures', 'StaleValuesServed']) {
      expect(emfFor(server.output(), metric).some((l) => l.source === 'ListChannels'), metric).toBe(true);
    }
  });
});
