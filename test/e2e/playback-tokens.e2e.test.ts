/**
 * POST /v1/playback-tokens through the local server (`bin/serve.ts`) over real HTTP, with the
 * tokens checked by an independent JWT library (jose) against the public key.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const DEMO_ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/DemoChannel0';
const QUERY_ARN = 'arn:aws:ivs:eu-west-1:123456789012:channel/QueryChannel';
const OTHER_ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/NotConfigured';
const keys = p384KeyPair();

const config = {
  channels: [
    { id: 'demo', arn: DEMO_ARN, playbackUrl: 'https://abc.us-east-1.playback.live-video.net/api/video/v1/demo.m3u8' },
    { id: 'with-query', arn: QUERY_ARN, playbackUrl: 'https://abc.eu-west-1.playback.live-video.net/api/video/v1/q.m3u8?player=web' },
    { id: 'hd-only', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/HdOnly', playbackUrl: 'https://abc.us-east-1.playback.live-video.net/hd.m3u8' },
    { id: 'nobody', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Nobody', playbackUrl: 'https://abc.us-east-1.playback.live-video.net/n.m3u8' },
  ],
  origins: { allow: ['https://watch.example.com', 'https://*.example.org'] },
  playback: { ttlSeconds: { default: 300, min: 30, max: 3600 } },
  entitlements: [
    { name: 'everyone', channels: ['demo', 'with-query'] },
    { name: 'hd', channels: ['hd-only'], maximumResolution: 'HD' },
    { name: 'admins-only', when: { claim: 'cognito:groups', anyOf: ['admins'] }, channels: ['nobody'] },
  ],
};

let server: LocalServer;
const verify = (token: string) =>
  jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] }).then((r) => r.payload as Record<string, unknown>);

beforeAll(async () => {
  server = await startLocalServer({
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.sec1Pem),
  });
});
afterAll(() => server?.stop());

async function mint(body: unknown, headers?: Record<string, string>) {
  const res = await server.post('/v1/playback-tokens', body, headers);
  return { res, json: (await jsonOf(res)) as Record<string, any> };
}

describe('a token for a configured channel', () => {
  it('verifies with jose against the public key, ES384 only, with typ JWT', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { res, json } = await mint({ channel: 'demo' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(decodeProtectedHeader(json.token)).toEqual({ alg: 'ES384', typ: 'JWT' });
    const claims = await verify(json.token);
    expect(claims['aws:channel-arn']).toBe(DEMO_ARN);
    expect(json.channelArn).toBe(DEMO_ARN);
    // exp in seconds: now + default TTL (a millisecond exp would be ~1000x larger).
    expect(claims.exp).toBeGreaterThanOrEqual(before + 300);
    expect(claims.exp).toBeLessThanOrEqual(before + 302);
    expect(new Date(json.expiresAt).getTime()).toBe((claims.exp as number) * 1000);
    // A token with an RS/HS algorithm would be refused: the verifier pins ES384.
    await expect(jwtVerify(json.token, keys.publicKey, { algorithms: ['ES256'] })).rejects.toThrow();
  });

  it('fails verification against another key', async () => {
    const { json } = await mint({ channel: 'demo' });
    await expect(jwtVerify(json.token, p384KeyPair().publicKey, { algorithms: ['ES384'] })).rejects.toThrow(/signature/);
  });

  it('appends ?token= exactly once, and &token= to a URL that already has a query', async () => {
    const a = await mint({ channel: 'demo' });
    expect(a.json.playbackUrl).toBe(`https://abc.us-east-1.playback.live-video.net/api/video/v1/demo.m3u8?token=${a.json.token}`);
    const b = await mint({ channel: 'with-query' });
    expect(b.json.playbackUrl).toBe(`https://abc.eu-west-1.playback.live-video.net/api/video/v1/q.m3u8?player=web&token=${b.json.token}`);
    expect(b.json.playbackUrl.match(/token=/g)).toHaveLength(1);
  });

  it('accepts the channel ARN of a configured channel in place of its id', async () => {
    const { res, json } = await mint({ channel: QUERY_ARN });
    expect(res.status).toBe(200);
    expect((await verify(json.token))['aws:channel-arn']).toBe(QUERY_ARN);
  });

  it('serves a frontend that sends its own token in dev mode (the dev identity ignores Authorization)', async () => {
    const { res } = await mint({ channel: 'demo' }, { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig' });
    expect(res.status).toBe(200);
  });

  it('honours a ttlSeconds within bounds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { json } = await mint({ channel: 'demo', ttlSeconds: 45 });
    const claims = await verify(json.token);
    expect(claims.exp).toBeGreaterThanOrEqual(before + 45);
    expect(claims.exp).toBeLessThanOrEqual(before + 47);
  });
});

describe('origins', () => {
  it('puts an allowed browser Origin in aws:access-control-allow-origin', async () => {
    const { res, json } = await mint({ channel: 'demo' }, { origin: 'https://watch.example.com' });
    expect(res.status).toBe(200);
    expect((await verify(json.token))['aws:access-control-allow-origin']).toBe('https://watch.example.com');
  });

  it('matches a wildcard subdomain pattern but not the bare domain or a look-alike', async () => {
    expect((await mint({ channel: 'demo' }, { origin: 'https://shop.example.org' })).res.status).toBe(200);
    for (const origin of ['https://example.org', 'https://evil-example.org', 'https://shop.example.org.evil.com', 'http://shop.example.org']) {
      expect((await mint({ channel: 'demo' }, { origin })).res.status, origin).toBe(403);
    }
  });

  it('gives a disallowed Origin a 403 problem and no token', async () => {
    const { res, json } = await mint({ channel: 'demo' }, { origin: 'https://evil.example.net' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(json.code).toBe('origin_not_allowed');
    expect(JSON.stringify(json)).not.toMatch(/eyJ/);
  });

  it('limits a token minted without Origin (a backend) to the whole allow-list', async () => {
    const { json } = await mint({ channel: 'demo' });
    expect((await verify(json.token))['aws:access-control-allow-origin']).toBe('https://watch.example.com,https://*.example.org');
  });
});

describe('single-use tokens', () => {
  it('carry a fresh aws:single-use-uuid and never live past 600 s', async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await verify((await mint({ channel: 'demo', singleUse: true })).json.token);
    const b = await verify((await mint({ channel: 'demo', singleUse: true })).json.token);
    expect(a['aws:single-use-uuid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a['aws:single-use-uuid']).not.toBe(b['aws:single-use-uuid']);
    // The default TTL (300 s) is under the 600 s cap, so the token lives exactly that long.
    expect(a.exp as number).toBeGreaterThanOrEqual(before + 300);
    expect(a.exp as number).toBeLessThanOrEqual(before + 600 + 1);
  });

  it('refuses a single-use ttl above 600 s with 400, even though plain tokens may have it', async () => {
    expect((await mint({ channel: 'demo', ttlSeconds: 900 })).res.status).toBe(200);
    const { res, json } = await mint({ channel: 'demo', ttlSeconds: 900, singleUse: true });
    expect(res.status).toBe(400);
    expect(json.code).toBe('ttl_out_of_range');
    expect(json.detail).toContain('600');
  });
});

describe('entitlements and resolution', () => {
  it('caps aws:maximum-resolution at the entitlement and lets a caller ask for less', async () => {
    expect((await verify((await mint({ channel: 'hd-only' })).json.token))['aws:maximum-resolution']).toBe('HD');
    expect((await verify((await mint({ channel: 'hd-only', maximumResolution: 'SD' })).json.token))['aws:maximum-resolution']).toBe('SD');
    const { res, json } = await mint({ channel: 'hd-only', maximumResolution: 'FULL_HD' });
    expect(res.status).toBe(403);
    expect(json.code).toBe('resolution_not_allowed');
  });

  it('refuses a channel the caller is not entitled to exactly like a channel that does not exist', async () => {
    const denied = await mint({ channel: 'nobody' });
    const unknown = await mint({ channel: 'no-such-channel' });
    expect(denied.res.status).toBe(403);
    expect(unknown.res.status).toBe(403);
    expect(denied.json).toEqual(unknown.json);
  });

  it('never signs an ARN taken from the body: an unconfigured ARN gets 403', async () => {
    const { res, json } = await mint({ channel: OTHER_ARN });
    expect(res.status).toBe(403);
    expect(json.token).toBeUndefined();
  });
});

describe('bad input gets a 4xx problem+json and nothing else', () => {
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['malformed JSON', () => server.post('/v1/playback-tokens', '{"channel": "demo"'), 400, 'malformed_json'],
    ['a JSON array', () => server.post('/v1/playback-tokens', '["demo"]'), 400, 'invalid_request'],
    ['no body', () => server.post('/v1/playback-tokens', ''), 400, 'missing_body'],
    ['channel of the wrong type', () => server.post('/v1/playback-tokens', { channel: 7 }), 400, 'invalid_request'],
    ['missing channel', () => server.post('/v1/playback-tokens', { ttlSeconds: 60 }), 400, 'invalid_request'],
    ['an unknown field', () => server.post('/v1/playback-tokens', { channel: 'demo', channelArn: OTHER_ARN }), 400, 'invalid_request'],
    ['ttl as a string', () => server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: '60' }), 400, 'invalid_request'],
    ['a fractional ttl', () => server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 60.5 }), 400, 'invalid_request'],
    ['ttl below the minimum', () => server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 29 }), 400, 'ttl_out_of_range'],
    ['ttl above the maximum', () => server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 3601 }), 400, 'ttl_out_of_range'],
    ['an unknown resolution', () => server.post('/v1/playback-tokens', { channel: 'demo', maximumResolution: '4K' }), 400, 'invalid_request'],
    ['singleUse as a string', () => server.post('/v1/playback-tokens', { channel: 'demo', singleUse: 'yes' }), 400, 'invalid_request'],
    ['an oversized body', () => server.post('/v1/playback-tokens', { channel: 'demo', pad: 'x'.repeat(20_000) }), 413, 'body_too_large'],
    ['a form body', () => fetch(server.url + '/v1/playback-tokens', { method: 'POST', body: 'channel=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
    ['the wrong method', () => fetch(server.url + '/v1/playback-tokens'), 405, 'method_not_allowed'],
    ['an unknown path', () => server.post('/v1/playback-token', { channel: 'demo' }), 404, 'not_found'],
    ['a POST to the root path (GET / is the dev-mode demo page)', () => server.post('/', {}), 404, 'not_found'],
  ];
  it.each(cases)('%s', async (_name, send, status, code) => {
    const res = await send();
    const text = await res.text();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = JSON.parse(text);
    expect(problem).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
    expect(text).not.toMatch(/eyJ|at .*\.ts:\d+|BEGIN/);
  });

  it('says which field was wrong', async () => {
    const res = await server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 'soon', extra: 1 });
    const problem = await jsonOf(res);
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(['(body)', 'ttlSeconds']);
    expect(problem.detail).toMatch(/extra/);
  });

  it('405 names the allowed method', async () => {
    const res = await fetch(server.url + '/v1/playback-tokens', { method: 'PUT', body: '{}' });
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('logs', () => {
  it('never contain a token or the signing key', async () => {
    const { json } = await mint({ channel: 'demo' });
    const out = server.output();
    expect(out).toContain('"route":"POST /v1/playback-tokens"');
    expect(out).not.toContain(json.token.split('.')[2]);
    expect(out).not.toMatch(/PRIVATE KEY/);
  });
});

describe('npm start with no configuration', () => {
  it('serves the demo channel with a dev key generated once into .local/', async () => {
    const dir = writeTempFile('.keep', '').replace(/\.keep$/, 'local');
    const dev = await startLocalServer({ TOKEN_VENDING_LOCAL_DIR: dir });
    try {
      expect(dev.output()).toContain(join(dir, 'playback-public.pem'));
      expect(dev.output()).toContain('aws ivs import-playback-key-pair');
      expect(dev.output()).toMatch(/DEV MODE/);
      const res = await dev.post('/v1/playback-tokens', { channel: 'demo' });
      expect(res.status).toBe(200);
      const { token } = await jsonOf(res);
      const publicKey = createPublicKey(readFileSync(join(dir, 'playback-public.pem')));
      await expect(jwtVerify(token, publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
      // The dev setup serves TURN too, with a dev secret and the matching turnserver command.
      expect(dev.output()).toContain(`--static-auth-secret="$(cat ${join(dir, 'turn-secret')})"`);
      expect((await dev.post('/v1/turn-credentials', {})).status).toBe(200);
    } finally {
      await dev.stop();
    }
    // A second start reuses the same key rather than generating a new one.
    const before = readFileSync(join(dir, 'playback-private.pem'), 'utf8');
    const again = await startLocalServer({ TOKEN_VENDING_LOCAL_DIR: dir });
    await again.stop();
    expect(readFileSync(join(dir, 'playback-private.pem'), 'utf8')).toBe(before);
  });
});

describe('revocable tokens and strict origins', () => {
  let strict: LocalServer;
  beforeAll(async () => {
    strict = await startLocalServer({
      CONFIG_FILE: writeTempFile(
        'config.json',
        JSON.stringify({
          ...config,
          origins: { allow: ['https://watch.example.com'], strictOriginEnforcement: true },
          playback: { viewerId: true, ttlSeconds: { default: 600, min: 30, max: 3600 } },
        }),
      ),
      PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('key.pem', keys.sec1Pem),
    });
  });
  afterAll(() => strict?.stop());

  it('carries a pseudonymous aws:viewer-id of at most 40 characters, stable per caller, and lives at most 600 s', async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await verify((await jsonOf(await strict.post('/v1/playback-tokens', { channel: 'demo' }))).token);
    const b = await verify((await jsonOf(await strict.post('/v1/playback-tokens', { channel: 'demo' }))).token);
    expect(a['aws:viewer-id']).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(a['aws:viewer-id']).toBe(b['aws:viewer-id']);
    expect(a['aws:viewer-id']).not.toContain('local-dev-user');
    expect(a.exp as number).toBeGreaterThanOrEqual(before + 600); // the default TTL, at the cap
    expect(a.exp as number).toBeLessThanOrEqual(before + 601);
    const res = await strict.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 601 });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).code).toBe('ttl_out_of_range');
  });

  it('sets aws:strict-origin-enforcement with the origin', async () => {
    const { token } = await jsonOf(await strict.post('/v1/playback-tokens', { channel: 'demo' }, { origin: 'https://watch.example.com' }));
    const claims = await verify(token);
    expect(claims['aws:access-control-allow-origin']).toBe('https://watch.example.com');
    expect(claims['aws:strict-origin-enforcement']).toBe(true);
  });
});
