/**
 * TURN credentials minted over HTTP by the local server, used against a real coturn
 * `turnserver` on loopback with `turnutils_uclient`.
 *
 * Needs Debian's coturn package. Where it is missing these tests are skipped with a notice,
 * except in CI (CI=true), where its absence fails the run.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocate, coturnInstalled, startTurnServer, type TurnServer } from '../support/coturn';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const installed = coturnInstalled();
if (!installed && process.env.CI) throw new Error('coturn (turnserver, turnutils_uclient) is not installed; .ci/run installs it');
if (!installed) console.warn('SKIPPED: TURN end-to-end tests need coturn (apt-get install coturn)');

const secret1 = randomBytes(24).toString('base64url');
const secret2 = randomBytes(24).toString('base64url');

function configWith(turnPort: number) {
  return {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    turn: {
      uris: [`stun:127.0.0.1:${turnPort}`, `turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`],
      ttlSeconds: { default: 3600, min: 1, max: 86400 },
    },
    entitlements: [{ name: 'everyone', channels: ['demo'], turn: true }],
  };
}

describe.skipIf(!installed)('credentials from the local server against a real coturn', () => {
  let turn: TurnServer;
  let current: LocalServer; // signs with secret1, secret2 staged
  let next: LocalServer; // after rotation: signs with secret2
  let foreign: LocalServer; // a secret coturn does not know

  beforeAll(async () => {
    turn = await startTurnServer([secret1, secret2]);
    const config = writeTempFile('config.json', JSON.stringify(configWith(turn.port)));
    [current, next, foreign] = await Promise.all([
      startLocalServer({ CONFIG_FILE: config, TURN_STATIC_AUTH_SECRET: JSON.stringify({ secrets: [secret1, secret2] }) }),
      startLocalServer({ CONFIG_FILE: config, TURN_STATIC_AUTH_SECRET: JSON.stringify({ secrets: [secret2, secret1] }) }),
      startLocalServer({ CONFIG_FILE: config, TURN_STATIC_AUTH_SECRET: randomBytes(24).toString('base64url') }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([current, next, foreign, turn].map((s) => s?.stop()));
  });

  const mint = async (server: LocalServer, body?: unknown) => {
    const res = await fetch(server.url + '/v1/turn-credentials', {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    expect(res.status).toBe(200);
    return jsonOf(res);
  };

  it('complete an allocation and relay data over UDP and over TCP', async () => {
    const creds = await mint(current);
    const turnServer = creds.iceServers.find((s: { username?: string }) => s.username);
    const udp = await allocate(turn, turnServer.username, turnServer.credential);
    expect(udp.ok, udp.output.slice(-2000)).toBe(true);
    const tcp = await allocate(turn, creds.username, creds.password, { tcp: true });
    expect(tcp.ok, tcp.output.slice(-2000)).toBe(true);
  });

  it('fail with a tampered password', async () => {
    const creds = await mint(current);
    const tampered = (creds.password[0] === 'A' ? 'B' : 'A') + creds.password.slice(1);
    const result = await allocate(turn, creds.username, tampered);
    expect(result.ok).toBe(false);
    expect(result.code).toBe(255);
    expect(result.output).toMatch(/Cannot complete Allocation/);
  });

  it('fail with a username whose user part was changed', async () => {
    const creds = await mint(current);
    const result = await allocate(turn, creds.username.replace(/:.*/, ':someone-else'), creds.password);
    expect(result.ok).toBe(false);
  });

  it('fail once expired', async () => {
    const creds = await mint(current, { ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2_500));
    const result = await allocate(turn, creds.username, creds.password);
    expect(result.ok).toBe(false);
    expect(result.code).toBe(255);
  });

  it('are accepted from either of two static-auth-secret values (rotation), not from an unknown one', async () => {
    const a = await mint(current);
    const b = await mint(next);
    expect(a.password).not.toBe(b.password);
    expect((await allocate(turn, a.username, a.password)).ok).toBe(true);
    expect((await allocate(turn, b.username, b.password)).ok).toBe(true);
    const c = await mint(foreign);
    const refused = await allocate(turn, c.username, c.password);
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe(255);
  });
});

describe.skipIf(!installed)('which secret signs during a rotation, against a coturn that knows only one', () => {
  // The test above runs one coturn that knows both secrets: it cannot tell which one signed.
  // Here each coturn knows a single secret, so only the one that signed accepts.
  let onlyFirst: TurnServer;
  let onlySecond: TurnServer;
  let server: LocalServer; // secrets: [secret1 (signs), secret2 (staged)]
  beforeAll(async () => {
    [onlyFirst, onlySecond] = await Promise.all([startTurnServer([secret1]), startTurnServer([secret2])]);
    const config = writeTempFile('config.json', JSON.stringify(configWith(onlyFirst.port)));
    server = await startLocalServer({ CONFIG_FILE: config, TURN_STATIC_AUTH_SECRET: JSON.stringify({ secrets: [secret1, secret2] }) });
  });
  afterAll(async () => {
    await Promise.all([server, onlyFirst, onlySecond].map((s) => s?.stop()));
  });

  it('signs with the first secret of the list: its coturn allocates, the staged secret\'s coturn refuses', async () => {
    const res = await server.post('/v1/turn-credentials', {});
    expect(res.status).toBe(200);
    const creds = await jsonOf(res);
    const accepted = await allocate(onlyFirst, creds.username, creds.password);
    expect(accepted.ok, accepted.output.slice(-2000)).toBe(true);
    const refused = await allocate(onlySecond, creds.username, creds.password);
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe(255);
    expect(refused.output).toMatch(/Cannot complete Allocation/);
  });
});

describe('POST /v1/turn-credentials over HTTP', () => {
  let server: LocalServer;
  let notEntitled: LocalServer;
  beforeAll(async () => {
    const config = configWith(3478);
    server = await startLocalServer({ CONFIG_FILE: writeTempFile('c.json', JSON.stringify(config)), TURN_STATIC_AUTH_SECRET: secret1 });
    notEntitled = await startLocalServer({
      CONFIG_FILE: writeTempFile('c.json', JSON.stringify({ ...config, entitlements: [{ name: 'watch-only', channels: ['demo'] }] })),
      TURN_STATIC_AUTH_SECRET: secret1,
    });
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), notEntitled?.stop()]);
  });

  it('answers with both shapes, a 1 h default TTL, a stable opaque user and no-store', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await fetch(server.url + '/v1/turn-credentials', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const c = await jsonOf(res);
    expect(Object.keys(c).sort()).toEqual(['expiresAt', 'iceServers', 'password', 'ttl', 'uris', 'username']);
    const [expiry, user] = c.username.split(':');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(before + 3602);
    expect(c.ttl).toBe(3600);
    expect(user).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(user).not.toContain('local-dev-user');
    expect(c.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    expect(c.iceServers[1]).toEqual({ urls: c.uris, username: c.username, credential: c.password });
    const again = await jsonOf(await server.post('/v1/turn-credentials', {}));
    expect(again.username.split(':')[1]).toBe(user);
  });

  it.each([
    [{ ttlSeconds: 86_401 }, 400, 'ttl_out_of_range'],
    [{ ttlSeconds: 0 }, 400, 'invalid_request'],
    [{ ttlSeconds: '60' }, 400, 'invalid_request'],
    [{ user: 'admin' }, 400, 'invalid_request'],
    ['[1]', 400, 'invalid_request'],
    ['{', 400, 'malformed_json'],
  ])('refuses %j with %i %s and no credentials', async (body, status, code) => {
    const res = await server.post('/v1/turn-credentials', body);
    expect(res.status).toBe(status);
    const p = await jsonOf(res);
    expect(p.code).toBe(code);
    expect(p.password).toBeUndefined();
  });

  it('refuses a caller whose entitlements do not include TURN', async () => {
    const res = await notEntitled.post('/v1/turn-credentials', {});
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe('not_entitled');
  });

  it('is not served when the config has no turn section', async () => {
    const { turn: _t, ...noTurn } = configWith(3478);
    const s = await startLocalServer({ CONFIG_FILE: writeTempFile('c.json', JSON.stringify(noTurn)) });
    try {
      const res = await s.post('/v1/turn-credentials', {});
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    } finally {
      await s.stop();
    }
  });
});
