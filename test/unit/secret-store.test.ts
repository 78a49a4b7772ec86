/**
 * A cached secret as a request meets it: the 503 it turns a failure into (with Retry-After and
 * a detail that tells a misconfiguration from an outage), and whether a value that can no
 * longer be read keeps serving (stale) or stops at once (`serveStale: false`, the HMAC keys
 * and the origin-verify secret). Real files as the source, real time (maxAge is 1 s).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProblemError, problemResponse } from '../../lambda/http/problem';
import { parseE2eeSecret } from '../../lambda/secrets/keys';
import { cachedSecret, RETRY_AFTER_SECONDS } from '../../lambda/secrets/store';
import { writeTempFile } from '../support/local-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (raw: string | Uint8Array) => String(raw).trim();

async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  // By name: the runtimeSecret tests load fresh modules, whose ProblemError is another class.
  expect(err).toMatchObject({ name: 'ProblemError' });
  const r = problemResponse(err as ProblemError);
  return { status: r.statusCode, headers: r.headers as Record<string, string>, body: JSON.parse(String(r.body)) };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('cachedSecret', () => {
  it('answers 503 secret_unavailable with Retry-After 5 when the source cannot be read, and says to try again', async () => {
    expect(RETRY_AFTER_SECONDS).toBe(5);
    const s = cachedSecret('TURN shared secret', { kind: 'file', id: '/nonexistent/turn' }, text, { maxAgeSeconds: 60, maxStaleSeconds: 60 });
    const r = await refusal(s.get());
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.body).toMatchObject({ code: 'secret_unavailable', detail: 'The TURN shared secret cannot be loaded right now; try again shortly.' });
  });

  it('says an operator has to fix it when the value is there but malformed (no value in the message)', async () => {
    const s = cachedSecret('E2EE master secret', { kind: 'inline', id: 'short-secret-value' }, parseE2eeSecret, { maxAgeSeconds: 60, maxStaleSeconds: 60 });
    const r = await refusal(s.get());
    expect(r.body.detail).toBe('The E2EE master secret is misconfigured; an operator has to fix it.');
    expect(JSON.stringify(r.body)).not.toContain('short-secret-value');
  });

  it('keeps serving the last value for maxStale when the source goes away, and picks up a new one after maxAge', async () => {
    const file = writeTempFile('secret', 'first');
    const s = cachedSecret('test secret', { kind: 'file', id: file }, text, { maxAgeSeconds: 1, maxStaleSeconds: 60 });
    expect(await s.get()).toBe('first');
    writeFileSync(file, 'second');
    expect(await s.get()).toBe('first'); // fresh for 1 s
    await sleep(1_100);
    expect(await s.get()).toBe('first'); // served at once while the refresh runs
    await sleep(50);
    expect(await s.get()).toBe('second');
    rmSync(file);
    await sleep(1_100);
    expect(await s.get()).toBe('second'); // stale, with a warning
  });

  it('with maxStale 0, stops serving a value once it cannot be refreshed', async () => {
    const file = writeTempFile('secret', 'only');
    const s = cachedSecret('HMAC request-signing keys', { kind: 'file', id: file }, text, { maxAgeSeconds: 1, maxStaleSeconds: 0 });
    expect(await s.get()).toBe('only');
    rmSync(file);
    await sleep(1_100);
    expect((await refusal(s.get())).status).toBe(503);
  });
});

describe('runtimeSecret', () => {
  const config = {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    entitlements: [{ name: 'all', channels: ['*'] }],
    secrets: { maxAgeSeconds: 1, maxStaleSeconds: 3600 },
  };
  async function load(file: string) {
    vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify(config));
    vi.stubEnv('TURN_SECRET_FILE', file);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.resetModules();
    return import('../../lambda/secrets/store');
  }

  it('serves stale by default, and not at all with serveStale: false', async () => {
    const file = writeTempFile('turn', 'value');
    const { runtimeSecret } = await load(file);
    const stale = runtimeSecret('turnSecret', 'TURN shared secret', text);
    const strict = runtimeSecret('turnSecret', 'TURN shared secret', text, { serveStale: false });
    expect(await stale.get()).toBe('value');
    expect(await strict.get()).toBe('value');
    rmSync(file);
    await sleep(1_100);
    expect(await stale.get()).toBe('value');
    expect((await refusal(strict.get())).status).toBe(503);
  });

  it('fails as a deployment error (not a 503 to retry) when the function has no source for the secret', async () => {
    const { runtimeSecret } = await load('/unused');
    const none = runtimeSecret('livekit', 'LiveKit credentials', text);
    await expect(Promise.resolve().then(() => none.get())).rejects.toThrow(/^no source configured for the livekit secret$/);
  });
});
