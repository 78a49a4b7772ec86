/**
 * The fault matrix for Secrets Manager, end to end: the local server reads the playback key
 * through the real SDK (Powertools' SecretsProvider) from a loopback Secrets Manager that
 * misbehaves in one way per case. For each fault, with a cold cache and then a warm one:
 * status, a latency bound (with slack: the machine is shared), the log line (names the error,
 * never the secret), single flight (calls counted at the fake), recovery without a restart,
 * and no unhandled rejection in the server process.
 */
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CALL_DEADLINE_MS, SDK_CLIENT_OPTIONS } from '../../lambda/aws/sdk';
import { FAKE_AWS_ENV, fakeSecretsManager, type Mode } from '../support/fake-aws';
import { burst, errorNames, eventually, expectHealthyProcess, logLines, sleep, WARN_ON_UNHANDLED_REJECTION } from '../support/fault-checks';
import { p384KeyPair, type TestKeyPair } from '../support/keys';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:fault-${name}-AbCdEf`;
/** "within about 5 s" (DESIGN.md §4): the deadline plus generous slack for a loaded machine. */
const COLD_BOUND_MS = AWS_CALL_DEADLINE_MS + 3_000;
/** A warm cache answers from memory; the bound only has to show it did not wait on AWS. */
const WARM_BOUND_MS = 1_500;
const MAX_AGE_SECONDS = 1; // also the retry delay after a failure: min(maxAge, 5 s)
const CANARY = 'CANARY-not-a-key-7f3a9c';

interface FaultCase {
  name: string;
  /** Break the secret `id` on the fake. */
  apply(id: string): void;
  /** Error names the log line may give (the SDK's, ours, or the parser's). */
  logs: RegExp;
  /** The SDK retries it, so one load may be up to maxAttempts calls. */
  retried: boolean;
  /** 503 detail: a value problem says an operator must fix it. */
  detail: RegExp;
}

let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
const p256Pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const transport = (mode: Mode) => (id: string) => sm.fault(id, mode);
const value = (string: string) => (id: string) => {
  sm.secrets[id] = { string };
};
const RETRY = /try again shortly/;
const MISCONFIGURED = /misconfigured/;
const CASES: FaultCase[] = [
  { name: 'throttling', apply: transport('throttle'), logs: /ThrottlingException/, retried: true, detail: RETRY },
  { name: '5xx', apply: transport('error'), logs: /InternalServiceError/, retried: true, detail: RETRY },
  { name: 'access denied', apply: transport('denied'), logs: /AccessDeniedException/, retried: false, detail: RETRY },
  { name: 'secret not found', apply: transport('notFound'), logs: /ResourceNotFoundException/, retried: false, detail: RETRY },
  { name: 'secret marked for deletion', apply: transport('deleted'), logs: /InvalidRequestException/, retried: false, detail: RETRY },
  { name: 'hang (accepts, never answers)', apply: transport('hang'), logs: /DeadlineError|TimeoutError/, retried: true, detail: RETRY },
  { name: 'slow (answers after 10 s)', apply: transport('slow'), logs: /DeadlineError|TimeoutError/, retried: true, detail: RETRY },
  { name: 'trickle (headers, then the body over 10 s)', apply: transport('trickle'), logs: /DeadlineError/, retried: true, detail: RETRY },
  { name: 'connection reset mid-response', apply: transport('reset'), logs: /AwsResponseError/, retried: true, detail: RETRY },
  { name: 'garbage response body', apply: transport('garbage'), logs: /AwsResponseError/, retried: true, detail: RETRY },
  { name: 'malformed value', apply: value(`${CANARY}\n`), logs: /SecretFormatError/, retried: false, detail: MISCONFIGURED },
  { name: 'key of the wrong curve (P-256)', apply: value(p256Pem), logs: /SecretFormatError/, retried: false, detail: MISCONFIGURED },
  { name: 'key of the wrong type (RSA)', apply: value(rsaPem), logs: /SecretFormatError/, retried: false, detail: MISCONFIGURED },
];

const servers: LocalServer[] = [];
beforeAll(async () => {
  sm = await fakeSecretsManager({});
  sm.state.delayMs = 10_000;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await sm?.close();
});

async function serverFor(id: string): Promise<LocalServer> {
  const config = {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    entitlements: [{ name: 'everyone', channels: ['*'] }],
    secrets: { maxAgeSeconds: MAX_AGE_SECONDS, maxStaleSeconds: 600 },
  };
  const s = await startLocalServer({
    ...FAKE_AWS_ENV,
    ...WARN_ON_UNHANDLED_REJECTION,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    PLAYBACK_KEY_SECRET_ID: id,
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
  });
  servers.push(s);
  return s;
}

const mint = (s: LocalServer) => () => s.post('/v1/playback-tokens', { channel: 'demo' });

/** What no log line may ever hold: any part of a key or of the malformed value. */
function expectNoSecretIn(output: string, ...keys: TestKeyPair[]) {
  expect(output).not.toContain('PRIVATE KEY');
  expect(output).not.toContain(CANARY);
  expect(output).not.toContain('<html>'); // nor any of a response the SDK could not parse
  for (const k of keys) {
    for (const line of k.sec1Pem.split('\n').filter((l) => l.length > 20)) expect(output).not.toContain(line);
  }
}

async function expectTokensVerify(results: { body: Record<string, unknown> }[], key: TestKeyPair) {
  for (const { body } of results) {
    await expect(jwtVerify(String(body.token), key.publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
  }
}

describe.concurrent('Secrets Manager faults, cold cache then warm cache', () => {
  it.each(CASES)('$name', async (c) => {
    const id = ARN(c.name.replace(/\W+/g, '-'));
    const first = p384KeyPair();
    sm.secrets[id] = { string: first.sec1Pem };
    const heal = () => {
      sm.fault(id, 'ok');
      sm.secrets[id] = { string: first.sec1Pem };
    };
    const maxCallsPerLoad = c.retried ? SDK_CLIENT_OPTIONS.maxAttempts : 1;
    c.apply(id);
    const s = await serverFor(id);

    // Cold: nothing usable, so every concurrent first request gets 503 + Retry-After, fast.
    const cold = await burst(20, mint(s));
    for (const r of cold) {
      expect(r.res.status).toBe(503);
      expect(r.res.headers.get('retry-after')).toBe('5');
      expect(r.res.headers.get('content-type')).toBe('application/problem+json');
      expect(r.body).toMatchObject({ status: 503, code: 'secret_unavailable' });
      expect(String(r.body.detail)).toMatch(c.detail);
      expect(r.body.token).toBeUndefined();
      expect(r.ms).toBeLessThan(COLD_BOUND_MS);
    }
    expect(sm.getSecretValueCalls(id)).toBeGreaterThanOrEqual(1);
    expect(sm.getSecretValueCalls(id)).toBeLessThanOrEqual(maxCallsPerLoad); // single flight
    const unavailable = logLines(s.output()).filter((l) => l.message === 'secret unavailable');
    expect(unavailable.length).toBeGreaterThan(0);
    for (const line of unavailable) expect(errorNames(line).join(' ')).toMatch(c.logs);

    // Recovery without a restart, once the retry delay has passed.
    heal();
    await sleep(MAX_AGE_SECONDS * 1000 + 200);
    const recovered = await burst(5, mint(s));
    expect(recovered.map((r) => r.res.status)).toEqual([200, 200, 200, 200, 200]);
    await expectTokensVerify(recovered, first);

    // Warm: the same fault once the value is older than maxAge. Requests keep being served
    // from memory at once while one background refresh fails.
    const before = sm.getSecretValueCalls(id);
    c.apply(id);
    await sleep(MAX_AGE_SECONDS * 1000 + 100);
    const warm = await burst(20, mint(s));
    for (const r of warm) {
      expect(r.res.status).toBe(200);
      expect(r.ms).toBeLessThan(WARM_BOUND_MS);
    }
    await expectTokensVerify(warm, first);
    const isWarning = (l: { message?: string }) => l.message === 'secret refresh failed; serving the cached value';
    await eventually(() => logLines(s.output()).some(isWarning), AWS_CALL_DEADLINE_MS + 3_000, 'the stale-serving warning');
    const warnings = logLines(s.output()).filter(isWarning);
    for (const line of warnings) expect(errorNames(line).join(' ')).toMatch(c.logs);
    expect(sm.getSecretValueCalls(id) - before).toBeLessThanOrEqual(maxCallsPerLoad); // one refresh for 20 requests

    // Recovery: a new key (a rotation) is picked up by the next refresh, without a restart.
    const second = p384KeyPair();
    sm.fault(id, 'ok');
    sm.secrets[id] = { string: second.sec1Pem };
    let rotated = false;
    for (const until = Date.now() + MAX_AGE_SECONDS * 1000 + 4_000; !rotated && Date.now() < until; await sleep(200)) {
      const [r] = await burst(1, mint(s));
      expect(r!.res.status).toBe(200);
      rotated = verifiesWith(String(r!.body.token), second);
    }
    expect(rotated, 'a token signed with the rotated key').toBe(true);

    expectNoSecretIn(s.output(), first, second);
    await expectHealthyProcess(s);
  });
});

describe('Secrets Manager answering slowly but within the deadline', () => {
  it('makes the cold requests wait for it (one call), then serves them all with 200', async () => {
    const id = ARN('slow-within-deadline');
    const key = p384KeyPair();
    sm.secrets[id] = { string: key.sec1Pem };
    sm.fault(id, 'slow', 800);
    const s = await serverFor(id);
    const results = await burst(20, mint(s));
    for (const r of results) {
      expect(r.res.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(750);
      expect(r.ms).toBeLessThan(COLD_BOUND_MS);
    }
    await expectTokensVerify(results, key);
    expect(sm.getSecretValueCalls(id)).toBe(1);
    await expectHealthyProcess(s);
  });
});

describe('Secrets Manager slow for both secrets a viewer-id token needs (key and pepper)', () => {
  it('loads them side by side: a cold request waits for the slower one, not for their sum', async () => {
    const keyId = ARN('slow-key-with-pepper');
    const pepperId = ARN('slow-pepper');
    const key = p384KeyPair();
    sm.secrets[keyId] = { string: key.sec1Pem };
    sm.secrets[pepperId] = { string: randomBytes(36).toString('base64url') };
    sm.fault(keyId, 'slow', 1_200); // within the 1.5 s per-attempt timeout
    sm.fault(pepperId, 'slow', 1_200);
    const s = await startLocalServer({
      ...FAKE_AWS_ENV,
      ...WARN_ON_UNHANDLED_REJECTION,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      PLAYBACK_KEY_SECRET_ID: keyId,
      PSEUDONYM_PEPPER_SECRET_ID: pepperId,
      CONFIG_FILE: writeTempFile(
        'config.json',
        JSON.stringify({
          channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
          entitlements: [{ name: 'everyone', channels: ['*'] }],
          playback: { viewerId: true },
        }),
      ),
    });
    servers.push(s);
    const [r] = await burst(1, mint(s));
    expect(r!.res.status).toBe(200);
    expect(typeof (await jwtVerify(String(r!.body.token), key.publicKey, { algorithms: ['ES384'] })).payload['aws:viewer-id']).toBe('string');
    expect(r!.ms).toBeGreaterThanOrEqual(1_150);
    expect(r!.ms).toBeLessThan(2_350); // one after the other: 2.4 s or more
    expect(sm.getSecretValueCalls(keyId)).toBe(1);
    expect(sm.getSecretValueCalls(pepperId)).toBe(1);
  });
});

function verifiesWith(token: string, key: TestKeyPair): boolean {
  // Synchronous check for `eventually`: ES384 over the JWS signing input.
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig) return false;
  return verify('sha384', Buffer.from(`${h}.${p}`), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
}
