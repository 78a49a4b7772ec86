/**
 * The fault matrix for IVS GetChannel, end to end through `lambda/ivs/channels.ts`: channels
 * configured without a playback URL are looked up through the real SDK from a loopback IVS
 * that misbehaves in one way per channel, all in one local server (each channel has its own
 * cache entry, so each case starts cold). Cold: 503 + Retry-After fast, one lookup in flight,
 * the log line names the error, recovery without a restart. Warm: the cached channel keeps
 * serving and IVS is not called. No unhandled rejection in the server process.
 *
 * GetChannel lookups are kept 15 minutes (GetChannel is limited to 5 TPS per account), so a
 * warm cache here means "served from memory"; the failing refresh after those 15 minutes is
 * faults-ivs-refresh.e2e.test.ts (same code and SDK, the clock moved).
 */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CALL_DEADLINE_MS, SDK_CLIENT_OPTIONS } from '../../lambda/aws/sdk';
import { FAKE_AWS_ENV, fakeIvs, type FakeChannel, type Mode } from '../support/fake-aws';
import { burst, errorNames, expectHealthyProcess, logLines, sleep, WARN_ON_UNHANDLED_REJECTION } from '../support/fault-checks';
import { p384KeyPair } from '../support/keys';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const COLD_BOUND_MS = AWS_CALL_DEADLINE_MS + 3_000;
const WARM_BOUND_MS = 1_500;
/** After a failed lookup the next one waits min(maxAge, 5 s). */
const RETRY_DELAY_MS = 5_000;

interface FaultCase {
  name: string;
  mode?: Mode;
  /** A bad value instead of a transport/service fault. */
  value?: Partial<FakeChannel>;
  logs: RegExp;
  retried: boolean;
}
const CASES: FaultCase[] = [
  { name: 'throttling', mode: 'throttle', logs: /ThrottlingException/, retried: true },
  { name: '5xx', mode: 'error', logs: /InternalServerException/, retried: true },
  { name: 'access denied', mode: 'denied', logs: /AccessDeniedException/, retried: false },
  { name: 'channel not found', mode: 'notFound', logs: /ResourceNotFoundException/, retried: false },
  { name: 'hang (accepts, never answers)', mode: 'hang', logs: /DeadlineError|TimeoutError/, retried: true },
  { name: 'slow (answers after 10 s)', mode: 'slow', logs: /DeadlineError|TimeoutError/, retried: true },
  { name: 'trickle (headers, then the body over 10 s)', mode: 'trickle', logs: /DeadlineError/, retried: true },
  { name: 'connection reset mid-response', mode: 'reset', logs: /AwsResponseError/, retried: true },
  { name: 'garbage response body', mode: 'garbage', logs: /AwsResponseError/, retried: true },
  { name: 'malformed value (no playback URL)', value: { playbackUrl: '' }, logs: /Error/, retried: false },
];

const keys = p384KeyPair();
const slug = (name: string) => name.replace(/[^A-Za-z0-9]/g, '');
const arnOf = (phase: 'cold' | 'warm', c: FaultCase) => `arn:aws:ivs:us-west-2:123456789012:channel/${phase}${slug(c.name)}`;
const goodChannel = (arn: string): FakeChannel => ({ arn, playbackUrl: `https://p.us-west-2.playback.live-video.net/api/video/v1/${arn.split('/')[1]}.m3u8`, authorized: true });

let ivs: Awaited<ReturnType<typeof fakeIvs>>;
let server: LocalServer;

function breakChannel(arn: string, c: FaultCase) {
  if (c.mode) ivs.fault(arn, c.mode);
  if (c.value) Object.assign(ivs.channels.find((ch) => ch.arn === arn)!, c.value);
}
function healChannel(arn: string) {
  ivs.fault(arn, 'ok');
  Object.assign(ivs.channels.find((ch) => ch.arn === arn)!, goodChannel(arn));
}

beforeAll(async () => {
  const arns = CASES.flatMap((c) => [arnOf('cold', c), arnOf('warm', c)]);
  ivs = await fakeIvs(arns.map(goodChannel));
  ivs.state.delayMs = 10_000;
  for (const c of CASES) breakChannel(arnOf('cold', c), c);
  server = await startLocalServer({
    ...FAKE_AWS_ENV,
    ...WARN_ON_UNHANDLED_REJECTION,
    AWS_ENDPOINT_URL_IVS: ivs.url,
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.pkcs8Pem),
    CONFIG_FILE: writeTempFile(
      'config.json',
      JSON.stringify({ channels: arns.map((arn) => ({ id: arn.split('/')[1], arn })), entitlements: [{ name: 'everyone', channels: ['*'] }] }),
    ),
  });
});
afterAll(async () => {
  if (server) {
    const output = server.output();
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain('<html>'); // the SDK's parse errors quote the response; our logs do not
    await expectHealthyProcess(server);
    await server.stop();
  }
  await ivs?.close();
});

const mint = (arn: string) => () => server.post('/v1/playback-tokens', { channel: arn.split('/')[1] });

async function expectPlayable(results: { res: Response; body: Record<string, unknown> }[], arn: string) {
  for (const { res, body } of results) {
    expect(res.status).toBe(200);
    expect(body.playbackUrl).toBe(`${goodChannel(arn).playbackUrl}?token=${String(body.token)}`);
    const { payload } = await jwtVerify(String(body.token), keys.publicKey, { algorithms: ['ES384'] });
    expect(payload['aws:channel-arn']).toBe(arn);
  }
}

describe.concurrent('IVS GetChannel faults', () => {
  it.each(CASES)('cold cache, $name: 503 + Retry-After fast, one lookup, logged, recovers', async (c) => {
    const arn = arnOf('cold', c);
    const cold = await burst(20, mint(arn));
    for (const r of cold) {
      expect(r.res.status).toBe(503);
      expect(r.res.headers.get('retry-after')).toBe('5');
      expect(r.res.headers.get('content-type')).toBe('application/problem+json');
      expect(r.body).toMatchObject({ status: 503, code: 'channel_unavailable' });
      expect(r.body.token).toBeUndefined();
      expect(r.ms).toBeLessThan(COLD_BOUND_MS);
    }
    const calls = ivs.getChannelCalls(arn);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(c.retried ? SDK_CLIENT_OPTIONS.maxAttempts : 1); // single flight
    const lines = logLines(server.output()).filter((l) => l.message === 'channel lookup failed' && l.channel === arn.split('/')[1]);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(errorNames(line).join(' ')).toMatch(c.logs);

    healChannel(arn);
    await sleep(RETRY_DELAY_MS + 200);
    await expectPlayable(await burst(5, mint(arn)), arn);
    expect(ivs.getChannelCalls(arn)).toBe(calls + 1);
  });

  it.each(CASES)('warm cache, $name: the cached channel keeps serving at once, IVS is not called', async (c) => {
    const arn = arnOf('warm', c);
    await expectPlayable(await burst(5, mint(arn)), arn);
    expect(ivs.getChannelCalls(arn)).toBe(1);
    breakChannel(arn, c);
    const warm = await burst(20, mint(arn));
    for (const r of warm) expect(r.ms).toBeLessThan(WARM_BOUND_MS);
    await expectPlayable(warm, arn);
    expect(ivs.getChannelCalls(arn)).toBe(1);
  });
});
