/**
 * The signing key read through the real AWS SDK (via Powertools' SecretsProvider) from a
 * loopback Secrets Manager endpoint: formats, missing secret, throttling, caching.
 */
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
const keys = p384KeyPair();
let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
const servers: LocalServer[] = [];

beforeAll(async () => {
  const p256 = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  sm = await fakeSecretsManager({
    [ARN('sec1')]: { string: keys.sec1Pem },
    [ARN('pkcs8')]: { string: keys.pkcs8Pem },
    [ARN('binary')]: { binary: Buffer.from(keys.pkcs8Pem) },
    [ARN('json')]: { string: JSON.stringify({ privateKey: keys.sec1Pem, publicKey: keys.spkiPem }) },
    [ARN('p256')]: { string: p256.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    [ARN('cached')]: { string: keys.sec1Pem },
    [ARN('throttled')]: { string: keys.sec1Pem },
  });
});
afterEach(async () => {
  sm.state.mode = 'ok';
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(() => sm?.close());

async function serverFor(secretId: string, secrets: { maxAgeSeconds: number; maxStaleSeconds: number } = { maxAgeSeconds: 300, maxStaleSeconds: 3600 }) {
  const config = {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    entitlements: [{ name: 'everyone', channels: ['*'] }],
    secrets,
  };
  const s = await startLocalServer({
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    PLAYBACK_KEY_SECRET_ID: secretId,
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
  });
  servers.push(s);
  return s;
}

const mint = (s: LocalServer) => s.post('/v1/playback-tokens', { channel: 'demo' });

describe('the playback key from Secrets Manager', () => {
  it.each(['sec1', 'pkcs8', 'binary', 'json'])('signs with a %s secret, through a signed SDK request', async (name) => {
    const s = await serverFor(ARN(name));
    const res = await mint(s);
    expect(res.status).toBe(200);
    const { token } = await jsonOf(res);
    await expect(jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
    const call = sm.calls.find((c) => c.body.SecretId === ARN(name))!;
    expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\/\d{8}\/us-east-1\/secretsmanager\/aws4_request/);
  });

  it('answers 503 problem+json with Retry-After when the secret does not exist, and keeps running', async () => {
    const s = await serverFor(ARN('missing'));
    const res = await mint(s);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await jsonOf(res)).code).toBe('secret_unavailable');
    expect(s.output()).toContain('ResourceNotFoundException');
    // The process is still up and answering.
    expect((await fetch(s.url + '/nope')).status).toBe(404);
  });

  it('answers 503 when the key has the wrong curve, without echoing it', async () => {
    const s = await serverFor(ARN('p256'));
    const res = await mint(s);
    expect(res.status).toBe(503);
    expect((await jsonOf(res)).detail).toMatch(/misconfigured/);
    expect(s.output()).toMatch(/P-384/);
    expect(s.output()).not.toMatch(/PRIVATE KEY/);
  });

  it('reads the secret once per maxAge under repeated calls', async () => {
    const s = await serverFor(ARN('cached'), { maxAgeSeconds: 2, maxStaleSeconds: 60 });
    const count = () => sm.calls.filter((c) => c.body.SecretId === ARN('cached')).length;
    const statuses = await Promise.all(Array.from({ length: 25 }, () => mint(s).then((r) => r.status)));
    expect(statuses.every((x) => x === 200)).toBe(true);
    expect(count()).toBe(1);
    for (let i = 0; i < 10; i++) expect((await mint(s)).status).toBe(200);
    expect(count()).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100));
    for (let i = 0; i < 10; i++) expect((await mint(s)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200)); // let the background refresh land
    expect(count()).toBe(2);
  });

  it('keeps signing with the cached key while Secrets Manager throttles, and warns', async () => {
    const s = await serverFor(ARN('throttled'), { maxAgeSeconds: 1, maxStaleSeconds: 60 });
    expect((await mint(s)).status).toBe(200);
    sm.state.mode = 'throttle';
    await new Promise((r) => setTimeout(r, 1_100));
    const before = sm.calls.length;
    for (let i = 0; i < 5; i++) expect((await mint(s)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sm.calls.length).toBeGreaterThan(before); // it did try, and was throttled
    expect(s.output()).toContain('ThrottlingException');
    expect(s.output()).toContain('serving the cached value');
  });

  it('answers 503 once a cached key is older than maxAge + maxStale and refreshes keep failing', async () => {
    const s = await serverFor(ARN('throttled'), { maxAgeSeconds: 1, maxStaleSeconds: 1 });
    expect((await mint(s)).status).toBe(200);
    sm.state.mode = 'error';
    await new Promise((r) => setTimeout(r, 2_200));
    const res = await mint(s);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });
});
