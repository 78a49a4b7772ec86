/**
 * Operations, end to end: the local server runs the same handlers as Lambda, so what it prints
 * is what CloudWatch Logs would receive. Its EMF lines must carry the metric names and
 * dimensions the dashboard and alarms read (lib/token-vending-ops.ts), its log lines the request
 * id, and nothing it prints may carry a token, a secret or what a caller asked for.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, fakeIvs, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

type Line = Record<string, any>;
const jsonLines = (out: string): Line[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
const emf = (out: string) => jsonLines(out).filter((l) => l._aws);
const logs = (out: string) => jsonLines(out).filter((l) => !l._aws);
const directive = (l: Line) => l._aws.CloudWatchMetrics[0] as { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };
const nameOf = (l: Line) => directive(l).Metrics.map((m) => m.Name).join(',');

/** stdout is a pipe: wait until the server has printed what the test expects. */
async function until(s: LocalServer, done: (out: string) => boolean, what: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    if (done(s.output())) return s.output();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server never printed ${what}:\n${s.output()}`);
}

const keys = p384KeyPair();
const turnSecret = randomBytes(32).toString('base64url');
const livekitSecret = randomBytes(32).toString('base64url');
const e2eeSecret = randomBytes(32).toString('base64url');
const REQUESTED_CHANNEL = 'zz-not-a-channel-4711';
const REQUESTED_ROOM = 'zz-not-a-room-4711';

describe('the dev server (every token kind) prints', () => {
  let s: LocalServer;
  const minted: string[] = [];

  beforeAll(async () => {
    s = await startLocalServer({
      PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.pkcs8Pem),
      TURN_STATIC_AUTH_SECRET: turnSecret,
      LIVEKIT_API_KEY: 'APIops',
      LIVEKIT_API_SECRET: livekitSecret,
      LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', e2eeSecret),
    });
    const playback = await s.post('/v1/playback-tokens', { channel: 'demo' }, { origin: 'http://localhost:3000' });
    expect(playback.status).toBe(200);
    const turn = await s.post('/v1/turn-credentials', {});
    expect(turn.status).toBe(200);
    const room = await s.post('/v1/room-tokens', { room_name: 'demo-e2ee', participant_name: 'Ops' });
    expect(room.status).toBe(201);
    const p = await jsonOf(playback);
    const t = await jsonOf(turn);
    const r = await jsonOf(room);
    minted.push(p.token, p.playbackUrl, t.password, t.username, r.participant_token, r.e2ee_key);

    expect((await s.post('/v1/playback-tokens', { channel: REQUESTED_CHANNEL })).status).toBe(403);
    expect((await s.post('/v1/playback-tokens', '{"channel":')).status).toBe(400);
    expect((await s.post('/v1/room-tokens', { room_name: REQUESTED_ROOM })).status).toBe(403);
    expect((await fetch(`${s.url}/v1/nothing-here`)).status).toBe(404);
    await until(s, (out) => emf(out).length >= 7, '7 EMF lines');
  });
  afterAll(() => s?.stop());

  it('one TokensIssued line per token, in namespace TokenVending, with dimensions service and kind', () => {
    const issued = emf(s.output()).filter((l) => nameOf(l) === 'TokensIssued');
    expect(issued.map((l) => l.kind)).toEqual(['playback', 'turn', 'room']);
    for (const l of issued) {
      expect(directive(l)).toEqual({ Namespace: 'TokenVending', Dimensions: [['service', 'kind']], Metrics: [{ Name: 'TokensIssued', Unit: 'Count' }] });
      expect(l.service).toBe('token-vending');
      expect(l.TokensIssued).toBe(1);
    }
  });

  it('one Refusals line per refusal, with dimensions service, route and problem code', () => {
    const refused = emf(s.output()).filter((l) => nameOf(l) === 'Refusals');
    expect(refused.map((l) => `${l.route} ${l.code}`)).toEqual([
      'POST /v1/playback-tokens not_entitled',
      'POST /v1/playback-tokens malformed_json',
      'POST /v1/room-tokens not_entitled',
      '$default not_found',
    ]);
    for (const l of refused) expect(directive(l).Dimensions).toEqual([['service', 'route', 'code']]);
  });

  it('EMF lines with constants only: no token, secret, requested channel or room, or user', () => {
    const lines = emf(s.output());
    const allowedKeys = new Set(['_aws', 'service', 'kind', 'route', 'code', 'function_name', 'source', 'TokensIssued', 'Refusals', 'ColdStart']);
    for (const l of lines) for (const k of Object.keys(l)) expect(allowedKeys, k).toContain(k);
    const text = JSON.stringify(lines);
    for (const v of [...minted, REQUESTED_CHANNEL, REQUESTED_ROOM, 'local-dev-user', 'Ops']) expect(text).not.toContain(v);
  });

  it('nothing at all that carries a minted token or a secret', () => {
    const out = s.output();
    for (const v of [...minted, turnSecret, livekitSecret, e2eeSecret]) expect(out).not.toContain(v);
    expect(out).not.toContain(keys.pkcs8Pem.split('\n')[1]!);
  });

  it('log lines that all carry the request id, never a requested channel or room', () => {
    const lines = logs(s.output());
    const requests = lines.filter((l) => l.message === 'request');
    expect(requests).toHaveLength(7);
    for (const l of lines) expect(l.requestId, JSON.stringify(l)).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(requests.map((l) => l.requestId)).size).toBe(7);
    const text = JSON.stringify(lines);
    for (const v of [REQUESTED_CHANNEL, REQUESTED_ROOM, 'local-dev-user']) expect(text).not.toContain(v);
  });
});

describe('when Secrets Manager or IVS fail, the server prints', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf';
  let s: LocalServer;
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  let ivs: Awaited<ReturnType<typeof fakeIvs>>;

  beforeAll(async () => {
    sm = await fakeSecretsManager({});
    ivs = await fakeIvs([]);
    const config = {
      channels: [
        { id: 'listed', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Listed', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' },
        { id: 'unknown-to-ivs', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Gone' },
      ],
      entitlements: [{ name: 'everyone', channels: ['*'] }],
      observability: { metrics: { namespace: 'Ops/E2E' } },
    };
    s = await startLocalServer({
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      AWS_ENDPOINT_URL_IVS: ivs.url,
      PLAYBACK_KEY_SECRET_ID: ARN,
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    });
    expect((await s.post('/v1/playback-tokens', { channel: 'listed' })).status).toBe(503);
    await until(s, (out) => emf(out).some((l) => nameOf(l) === 'Refusals'), 'the refusal');
  });
  afterAll(async () => {
    await s?.stop();
    await sm?.close();
    await ivs?.close();
  });

  it('SecretFailures and a secret_unavailable refusal, in the namespace from the config', () => {
    const lines = emf(s.output());
    const failure = lines.find((l) => nameOf(l) === 'SecretFailures')!;
    expect(directive(failure)).toEqual({ Namespace: 'Ops/E2E', Dimensions: [['service']], Metrics: [{ Name: 'SecretFailures', Unit: 'Count' }] });
    expect(failure.source).toBe('playback signing key');
    expect(lines.find((l) => nameOf(l) === 'Refusals')).toMatchObject({ route: 'POST /v1/playback-tokens', code: 'secret_unavailable' });
  });

  it('the same request id on the failure line and the request line', () => {
    const lines = logs(s.output());
    const failure = lines.find((l) => l.message === 'secret unavailable')!;
    const request = lines.find((l) => l.message === 'request')!;
    expect(failure.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(request).toMatchObject({ requestId: failure.requestId, status: 503 });
  });

  it('IvsLookupFailures when GetChannel fails', async () => {
    expect((await s.post('/v1/playback-tokens', { channel: 'unknown-to-ivs' })).status).toBe(503);
    const out = await until(s, (o) => emf(o).some((l) => nameOf(l) === 'IvsLookupFailures'), 'IvsLookupFailures');
    const line = emf(out).find((l) => nameOf(l) === 'IvsLookupFailures')!;
    expect(directive(line)).toEqual({ Namespace: 'Ops/E2E', Dimensions: [['service']], Metrics: [{ Name: 'IvsLookupFailures', Unit: 'Count' }] });
  });
});

describe('with metrics off and log level WARN in the config', () => {
  let s: LocalServer;
  beforeAll(async () => {
    const config = {
      channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
      entitlements: [{ name: 'everyone', channels: ['*'] }],
      observability: { logLevel: 'WARN', metrics: { enabled: false } },
    };
    s = await startLocalServer({
      POWERTOOLS_LOG_LEVEL: undefined, // the harness sets INFO; here the config decides
      PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.pkcs8Pem),
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    });
  });
  afterAll(() => s?.stop());

  it('still mints and refuses, and prints no EMF line and no INFO line', async () => {
    expect((await s.post('/v1/playback-tokens', { channel: 'demo' })).status).toBe(200);
    expect((await s.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 1 })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(emf(s.output())).toEqual([]);
    expect(logs(s.output()).filter((l) => l.level === 'INFO')).toEqual([]);
  });
});

describe('concurrent requests (one process here, one container each in Lambda)', () => {
  let s: LocalServer;
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  beforeAll(async () => {
    sm = await fakeSecretsManager({});
    sm.state.mode = 'throttle'; // the SDK retries with back-off: every request waits on the same slow load
    s = await startLocalServer({
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      PLAYBACK_KEY_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slow-AbCdEf',
      CONFIG_FILE: writeTempFile(
        'config.json',
        JSON.stringify({
          channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
          entitlements: [{ name: 'everyone', channels: ['*'] }],
        }),
      ),
    });
  });
  afterAll(async () => {
    await s?.stop();
    await sm?.close();
  });

  it('keep their own request id on every line they log', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => s.post('/v1/playback-tokens', { channel: 'demo' })));
    for (const r of results) expect(r.status).toBe(503);
    const out = await until(s, (o) => logs(o).filter((l) => l.message === 'request').length === 10, '10 request lines');
    const lines = logs(out);
    const ids = (message: string) => lines.filter((l) => l.message === message).map((l) => l.requestId as string).sort();
    const requestIds = ids('request');
    expect(new Set(requestIds).size).toBe(10);
    // Each request logged its failure and its refusal under its own id: no line lost its id or took another's.
    expect(ids('secret unavailable')).toEqual(requestIds);
    expect(ids('request refused')).toEqual(requestIds);
  });
});

describe('when a refresh fails and the cached key keeps serving', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cached-AbCdEf';
  let s: LocalServer;
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  beforeAll(async () => {
    sm = await fakeSecretsManager({ [ARN]: { string: keys.sec1Pem } });
    s = await startLocalServer({
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      PLAYBACK_KEY_SECRET_ID: ARN,
      CONFIG_FILE: writeTempFile(
        'config.json',
        JSON.stringify({
          channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
          entitlements: [{ name: 'everyone', channels: ['*'] }],
          secrets: { maxAgeSeconds: 1, maxStaleSeconds: 3600 },
        }),
      ),
    });
  });
  afterAll(async () => {
    await s?.stop();
    await sm?.close();
  });

  it('prints StaleValuesServed and SecretFailures, while the requests still get tokens', async () => {
    expect((await s.post('/v1/playback-tokens', { channel: 'demo' })).status).toBe(200);
    sm.state.mode = 'throttle';
    await new Promise((r) => setTimeout(r, 1_200)); // past maxAge: the next request refreshes in the background
    expect((await s.post('/v1/playback-tokens', { channel: 'demo' })).status).toBe(200);
    const out = await until(s, (o) => emf(o).some((l) => nameOf(l) === 'StaleValuesServed'), 'StaleValuesServed');
    const failures = emf(out).filter((l) => ['SecretFailures', 'StaleValuesServed'].includes(nameOf(l)));
    expect(failures.map((l) => [nameOf(l), l.source, directive(l).Dimensions])).toEqual([
      ['SecretFailures', 'playback signing key', [['service']]],
      ['StaleValuesServed', 'playback signing key', [['service']]],
    ]);
    expect(emf(out).filter((l) => nameOf(l) === 'TokensIssued')).toHaveLength(2);
  });
});
