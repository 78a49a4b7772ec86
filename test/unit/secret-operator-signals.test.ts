/**
 * What an operator sees when a secret goes bad: the log line that says which format check
 * failed (README troubleshooting sends operators there), and, while a cached value keeps
 * serving, the warning with how stale it is plus the SecretFailures and StaleValuesServed
 * metrics that the alarms read. Read from the process's own stdout, as CloudWatch Logs gets it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jsonLines, printedBy } from '../support/fault-checks';
import { p384KeyPair } from '../support/keys';
import { writeTempFile } from '../support/local-server';

const pem = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

let keys: typeof import('../../lambda/secrets/keys');
let store: typeof import('../../lambda/secrets/store');

beforeAll(async () => {
  vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify({ channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }], entitlements: [{ name: 'e', channels: ['*'] }], observability: { metrics: { namespace: 'Unit/Signals' } } }));
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.useFakeTimers({ toFake: ['Date'] }); // before any cache exists, so every cache reads this clock
  vi.resetModules();
  keys = await import('../../lambda/secrets/keys');
  store = await import('../../lambda/secrets/store');
});
afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/** The JSON lines printed while `run` runs, after the background refresh it starts has settled. */
const printed = async (run: () => Promise<unknown>) =>
  jsonLines(await printedBy(async () => (await run(), await new Promise((r) => setTimeout(r, 50)))));

describe('the playback key format checks say which one failed', () => {
  it.each([
    ['JSON that is not JSON', '{"privateKey": ', 'playback key secret is not valid JSON'],
    ['JSON without privateKey', '{"key": "x"}', 'playback key JSON has no string "privateKey" field'],
    ['not a PEM', 'MIG2AgEAMBAGByqGSM49', 'playback key is not a PEM private key'],
    // A PEM frame around junk, assembled here (no key-shaped literal in the repository).
    ['a PEM that does not parse', ['BEGIN', 'END'].map((w) => `-----${w} PRIVATE KEY-----`).join('\nAAAA\n'), 'playback key PEM does not parse as a private key'],
    ['a P-256 key', pem('prime256v1'), 'playback key must be ECDSA P-384 (secp384r1) for ES384, got ec prime256v1'],
    ['a P-521 key', pem('secp521r1'), 'playback key must be ECDSA P-384 (secp384r1) for ES384, got ec secp521r1'],
    ['an RSA key', rsa, 'playback key must be ECDSA P-384 (secp384r1) for ES384, got rsa'],
  ])('%s', (_, value, message) => {
    expect(() => keys.parsePlaybackKey(value)).toThrow(new keys.SecretFormatError(message));
    try {
      keys.parsePlaybackKey(value);
    } catch (e) {
      expect((e as Error).name).toBe('SecretFormatError');
    }
  });

  it('reads the PEM inside JSON with the whitespace a console paste leaves around it', () => {
    const key = p384KeyPair();
    expect(keys.parsePlaybackKey(JSON.stringify({ privateKey: `\n  ${key.pkcs8Pem}\n ` })).asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it.each([
    ['{"secrets": []}', 'TURN secret JSON needs a non-empty "secrets" array'],
    ['{"secrets": ["a", ""]}', 'TURN secret #2 is not a non-empty string'],
    ['{"secrets": [1]}', 'TURN secret #1 is not a non-empty string'],
  ])('TURN %s', (value, message) => {
    expect(() => keys.parseTurnSecrets(value)).toThrow(new keys.SecretFormatError(message));
  });

  it.each([
    ['not json', 'HMAC keys {"<key id>": "<key>"} is not valid JSON'],
    ['null', 'HMAC keys must be a non-empty JSON object {"<key id>": "<key>"}'],
    ['[]', 'HMAC keys must be a non-empty JSON object {"<key id>": "<key>"}'],
    ['{}', 'HMAC keys must be a non-empty JSON object {"<key id>": "<key>"}'],
    ['"a string"', 'HMAC keys must be a non-empty JSON object {"<key id>": "<key>"}'],
    [`{"bad id!": "${'x'.repeat(32)}"}`, 'HMAC key ids are 1-64 letters, digits, "_" or "-", optionally ".<version>"'],
    [`{"backend-1": "${'x'.repeat(31)}"}`, 'HMAC key "backend-1" must be a string of at least 32 characters'],
    ['{"backend-1": 12345678901234567890123456789012345}', 'HMAC key "backend-1" must be a string of at least 32 characters'],
  ])('HMAC keys %s', (value, message) => {
    expect(() => keys.parseHmacKeys(value)).toThrow(new keys.SecretFormatError(message));
  });
});

describe('a secret that fails to refresh while its cached value keeps serving', () => {
  it('warns with the label and how stale it is, and counts SecretFailures and StaleValuesServed', async () => {
    const good = p384KeyPair();
    const file = writeTempFile('signals-key.pem', good.pkcs8Pem);
    const secret = store.cachedSecret('playback signing key', { kind: 'file', id: file }, keys.parsePlaybackKey, { maxAgeSeconds: 60, maxStaleSeconds: 600 });
    const first = await secret.get();

    writeFileSync(file, 'not a key');
    vi.setSystemTime(Date.now() + 90_000); // 30 s past maxAge
    const lines = await printed(async () => expect(await secret.get()).toBe(first));

    const warning = lines.find((l) => l.message === 'secret refresh failed; serving the cached value');
    expect(warning).toMatchObject({ level: 'WARN', secret: 'playback signing key', staleForSeconds: 30 });
    expect(JSON.stringify(warning)).toMatch(/SecretFormatError/);
    expect(JSON.stringify(lines)).not.toContain('not a key');
    const metrics = lines.filter((l) => l._aws).map((l) => [l._aws.CloudWatchMetrics[0].Metrics[0].Name, l.source, l._aws.CloudWatchMetrics[0].Namespace]);
    expect(metrics).toEqual([
      ['SecretFailures', 'playback signing key', 'Unit/Signals'],
      ['StaleValuesServed', 'playback signing key', 'Unit/Signals'],
    ]);
  });

  // 180 s is maxAge + maxStale exactly: the value is no longer served there (the cache keeps it while younger), so not counted as served.
  it.each([180_000, 200_000])('%i ms after the load (at or past maxAge + maxStale) answers 503 and counts a failure, but no stale value served', async (later) => {
    const file = writeTempFile('signals-e2ee', 'x'.repeat(40));
    const secret = store.cachedSecret('E2EE master secret', { kind: 'file', id: file }, keys.parseE2eeSecret, { maxAgeSeconds: 60, maxStaleSeconds: 120 });
    await secret.get();
    writeFileSync(file, 'short');
    vi.setSystemTime(Date.now() + later);
    let status: number | undefined;
    const lines = await printed(async () => {
      status = await secret.get().then(
        () => 200,
        (e: { status?: number }) => e.status,
      );
    });
    expect(status).toBe(503);
    const names = lines.filter((l) => l._aws).map((l) => l._aws.CloudWatchMetrics[0].Metrics[0].Name);
    expect(names).toContain('SecretFailures');
    expect(names).not.toContain('StaleValuesServed');
    expect(lines.find((l) => l.message === 'secret unavailable')).toMatchObject({ level: 'ERROR', secret: 'E2EE master secret' });
  });
});
