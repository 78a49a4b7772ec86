/**
 * The warm half of the IVS GetChannel fault matrix: a channel's lookup is kept 15 minutes
 * (GetChannel is 5 TPS per account), so the e2e matrix (faults-ivs) cannot reach the moment it
 * expires. Here the same code (`lambda/ivs/channels.ts`) runs in this process, through the real
 * @aws-sdk/client-ivs against the loopback IVS, with only the wall clock moved past the window:
 * the expired entry keeps serving at once while one background refresh fails, the failure is
 * logged and counted (IvsLookupFailures + StaleValuesServed), and a healed IVS is picked up by
 * the next refresh without a restart.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FAKE_AWS_ENV, fakeIvs, type FakeChannel, type Mode } from '../support/fake-aws';
import { jsonLines, printedBy, sleep } from '../support/fault-checks';

const WINDOW_MS = 15 * 60_000;
const CASES: { name: string; mode?: Mode; value?: Partial<FakeChannel> }[] = [
  { name: 'throttling', mode: 'throttle' },
  { name: '5xx', mode: 'error' },
  { name: 'access denied', mode: 'denied' },
  { name: 'channel deleted', mode: 'notFound' },
  { name: 'hang', mode: 'hang' },
  { name: 'connection reset', mode: 'reset' },
  { name: 'garbage body', mode: 'garbage' },
  { name: 'malformed value (no playback URL)', value: { playbackUrl: '' } },
];
const arnOf = (name: string) => `arn:aws:ivs:us-west-2:123456789012:channel/warm${name.replace(/[^A-Za-z0-9]/g, '')}`;
const good = (arn: string): FakeChannel => ({ arn, playbackUrl: `https://p.example/${arn.split('/')[1]}.m3u8`, authorized: true });

let ivs: Awaited<ReturnType<typeof fakeIvs>>;
let channels: typeof import('../../lambda/ivs/channels');

beforeAll(async () => {
  ivs = await fakeIvs(CASES.map((c) => good(arnOf(c.name))));
  ivs.state.delayMs = 10_000;
  for (const [k, v] of Object.entries(FAKE_AWS_ENV)) vi.stubEnv(k, v);
  vi.stubEnv('AWS_ENDPOINT_URL_IVS', ivs.url);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
  vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify({ channels: CASES.map((c) => ({ id: arnOf(c.name).split('/')[1], arn: arnOf(c.name) })), entitlements: [{ name: 'everyone', channels: ['*'] }] }));
  // Only Date is faked (before any cache exists, so every cache reads the fake clock); timers,
  // sockets and the SDK's deadlines run in real time.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.resetModules();
  channels = await import('../../lambda/ivs/channels');
});
afterAll(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await ivs?.close();
});

describe('IVS GetChannel faults once the cached lookup has expired', () => {
  it.each(CASES)('$name: serves the cached URL at once, refreshes once in the background, logs and counts it, recovers', async (c) => {
    const arn = arnOf(c.name);
    const channel = (await channels.runtimeChannels().find(arn))!;
    expect(await channels.channelPlaybackUrl(channel)).toBe(good(arn).playbackUrl);
    expect(ivs.getChannelCalls(arn)).toBe(1);

    if (c.mode) ivs.fault(arn, c.mode);
    if (c.value) Object.assign(ivs.channels.find((ch) => ch.arn === arn)!, c.value);
    vi.setSystemTime(Date.now() + WINDOW_MS + 1_000);
    const printed = await printedBy(async () => {
      const started = performance.now();
      const urls = await Promise.all(Array.from({ length: 10 }, () => channels.channelPlaybackUrl(channel)));
      expect(performance.now() - started).toBeLessThan(500); // nobody waits on the failing IVS
      expect(new Set(urls)).toEqual(new Set([good(arn).playbackUrl]));
      // The one background refresh ends by its deadline (3 s), whatever IVS does.
      for (let i = 0; i < 50 && ivs.getChannelCalls(arn) < 2; i++) await sleep(100);
      await sleep(4_000);
    });
    const calls = ivs.getChannelCalls(arn);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(3); // one refresh (the SDK retries a retryable fault once)
    expect(printed).toMatch(/GetChannel refresh failed; serving the cached channel/);
    const emf = jsonLines(printed).filter((l) => l._aws);
    for (const metric of ['IvsLookupFailures', 'StaleValuesServed']) {
      expect(emf.some((l) => metric in l && l.source === 'GetChannel'), metric).toBe(true);
    }
    expect(printed).not.toContain('<html>');

    ivs.fault(arn, 'ok');
    Object.assign(ivs.channels.find((ch) => ch.arn === arn)!, good(arn));
    vi.setSystemTime(Date.now() + 6_000); // past the retry delay after a failure
    await channels.channelPlaybackUrl(channel);
    for (let i = 0; i < 30 && ivs.getChannelCalls(arn) === calls; i++) await sleep(100);
    expect(ivs.getChannelCalls(arn)).toBe(calls + 1);
  });
});
