/**
 * Authentication and entitlements through the local server: the JWT authorizer emulation
 * against a loopback OIDC issuer (discovery + JWKS), and HMAC-signed server-to-server
 * requests through the same Lambda authorizer handler that is deployed.
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { startIssuer, type Issuer } from '../support/oidc-issuer';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const LK_KEY = 'APIauth';
const LK_SECRET = randomBytes(30).toString('base64url');

function configWith(entitlements: unknown[]) {
  return {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    turn: { uris: ['turn:127.0.0.1:3478?transport=udp'] },
    livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'demo', rooms: ['demo'], grants: { canSubscribe: true } }] },
    entitlements,
  };
}
const common = { LIVEKIT_API_KEY: LK_KEY, LIVEKIT_API_SECRET: LK_SECRET, TURN_STATIC_AUTH_SECRET: 'turn-secret-for-auth-tests' };

const ROUTES: [string, unknown, number][] = [
  ['/v1/playback-tokens', { channel: 'demo' }, 200],
  ['/v1/turn-credentials', {}, 200],
  ['/v1/room-tokens', { room_name: 'demo' }, 201],
];

describe('JWT authentication (AUTH_ISSUER)', () => {
  let idp: Issuer;
  let server: LocalServer;
  beforeAll(async () => {
    idp = await startIssuer();
    const config = configWith([
      { name: 'subscribers', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['demo'], turn: true, roomPolicies: ['demo'] },
      { name: 'premium', when: { claim: 'cognito:groups', anyOf: ['premium members'] }, turn: true },
      { name: 'vip', when: { claim: 'plan', anyOf: ['vip-user'] }, turn: true },
    ]);
    server = await startLocalServer({
      ...common,
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: `other-client, ${idp.audience}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await idp?.close();
  });

  const call = (path: string, body: unknown, token?: string, scheme = 'Bearer ') =>
    server.post(path, body, token === undefined ? {} : { authorization: `${scheme}${token}` });
  const subscriber = () => idp.mint({ 'cognito:groups': ['subscribers', 'beta'] });

  it('says at start that it authenticates, not dev mode', () => {
    expect(server.output()).toContain(`JWT from ${idp.issuer}`);
    expect(server.output()).not.toContain('DEV MODE');
  });

  it.each(ROUTES)('lets an entitled caller through %s', async (path, body, status) => {
    const res = await call(path, body, await subscriber());
    expect(res.status).toBe(status);
  });

  it('accepts the token without the Bearer prefix, and client_id when there is no aud (Cognito access tokens)', async () => {
    expect((await call('/v1/playback-tokens', { channel: 'demo' }, await subscriber(), '')).status).toBe(200);
    const access = await idp.mint({ aud: undefined, client_id: idp.audience, 'cognito:groups': ['subscribers'] });
    expect((await call('/v1/playback-tokens', { channel: 'demo' }, access)).status).toBe(200);
  });

  it('passes the claims to the handler where API Gateway puts them (the room token carries sub)', async () => {
    const res = await call('/v1/room-tokens', { room_name: 'demo' }, await idp.mint({ sub: 'user-77', 'cognito:groups': ['subscribers'] }));
    const claims = await new TokenVerifier(LK_KEY, LK_SECRET).verify((await jsonOf(res)).participant_token);
    expect(claims.sub).toBe('user-77');
  });

  it.each(ROUTES)('refuses an authenticated caller without entitlement on %s with 403 not_entitled', async (path, body) => {
    const res = await call(path, body, await idp.mint({ 'cognito:groups': ['free'] }));
    expect(res.status).toBe(403);
    const problem = await jsonOf(res);
    expect(problem.code).toBe('not_entitled');
    expect(JSON.stringify(problem)).not.toMatch(/eyJ|demo/);
  });

  // API Gateway flattens ["subscribers (lapsed)"] into "[subscribers (lapsed)]"; splitting that
  // on spaces or commas used to entitle these callers.
  it.each([
    ['a group "subscribers (lapsed)"', { 'cognito:groups': ['subscribers (lapsed)'] }],
    ['a group "trial,subscribers"', { 'cognito:groups': ['trial,subscribers'] }],
    ['a string claim "mallory vip-user"', { plan: 'mallory vip-user' }],
    ['a string claim "[subscribers]"', { 'cognito:groups': '[subscribers]' }],
  ])('does not entitle %s (claim values are never split)', async (_name, claims) => {
    for (const [path, body] of ROUTES) {
      const res = await call(path, body, await idp.mint(claims));
      expect(res.status, path).toBe(403);
      expect((await jsonOf(res)).code).toBe('not_entitled');
    }
  });

  it('matches an array claim item that holds a space, read whole from the verified token', async () => {
    expect((await call('/v1/turn-credentials', {}, await idp.mint({ 'cognito:groups': ['premium members'] }))).status).toBe(200);
    expect((await call('/v1/turn-credentials', {}, await idp.mint({ 'cognito:groups': ['premium', 'members'] }))).status).toBe(403);
    expect((await call('/v1/turn-credentials', {}, await idp.mint({ plan: 'vip-user' }))).status).toBe(200);
  });

  const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const refusals: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no Authorization header', async () => undefined, /Missing Authorization/],
    ['a token that is not a JWT', async () => 'not-a-jwt', /not a JWT/],
    ['an expired token', () => idp.mint({}, { issuedAt: Math.floor(Date.now() / 1000) - 600, expiresIn: 300 }), /expired/],
    ['a token not valid yet', () => idp.mint({}, { notBefore: Math.floor(Date.now() / 1000) + 300 }), /not valid yet/],
    ['a token issued in the future', () => idp.mint({}, { issuedAt: Math.floor(Date.now() / 1000) + 120 }), /future/],
    ['a token signed by another key with the same kid', async () => idp.mint({}, { key: (await generateKeyPair('RS256')).privateKey }), /signature/],
    ['a token from another issuer', () => idp.mint({ iss: 'https://evil.example.com' }), /another issuer/],
    ['a token for another audience', () => idp.mint({ aud: 'someone-else' }), /another audience/],
    ['a token with neither aud nor client_id', () => idp.mint({ aud: undefined }), /another audience/],
    ['a token without kid', () => idp.mint({}, { kid: null }), /no kid/],
    ['a token whose kid is unknown', () => idp.mint({}, { kid: 'rotated-away' }), /kid/],
    ['alg none', async () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${enc({ alg: 'none', typ: 'JWT', kid: 'test-key-1' })}.${enc({ sub: 'x', iss: idp.issuer, aud: idp.audience, iat: now, exp: now + 300, 'cognito:groups': ['subscribers'] })}.`;
    }, /RSA/],
    ['HS256 signed with the issuer public key as secret', () => idp.mint({ 'cognito:groups': ['subscribers'] }, { alg: 'HS256', key: new TextEncoder().encode(idp.publicKeyPem) }), /RSA/],
    ['an RS256 token from a key the issuer does not publish', async () => idp.mint({}, { key: otherRsa.privateKey as never, kid: 'test-key-1' }), /signature/],
  ];

  it.each(refusals)('answers 401 to %s, with a problem that says why, on every route', async (_name, make, detail) => {
    const token = await make();
    for (const [path, body] of ROUTES) {
      const res = await call(path, body, token);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = await jsonOf(res);
      expect(problem.code).toBe('unauthenticated');
      expect(problem.detail).toMatch(detail);
      expect(problem).not.toHaveProperty('token');
    }
  });

  it('authenticates before routing: an unknown path is 401 without a token, 404 with one', async () => {
    expect((await server.post('/v1/nope', {})).status).toBe(401);
    expect((await call('/v1/nope', {}, await subscriber())).status).toBe(404);
  });

  it('fetches the issuer keys once and caches them', async () => {
    for (let i = 0; i < 5; i++) await call('/v1/playback-tokens', { channel: 'demo' }, await subscriber());
    // Once, plus at most one refetch for an unknown kid; 0 would mean the tokens were never checked.
    expect(idp.jwksFetches()).toBeGreaterThanOrEqual(1);
    expect(idp.jwksFetches()).toBeLessThanOrEqual(2);
  });
});

describe('HMAC-signed server-to-server requests (AUTH_HMAC_KEYS)', () => {
  const keys = { 'backend-1': randomBytes(32).toString('base64url'), 'backend-2': randomBytes(32).toString('base64url') };
  let server: LocalServer;
  beforeAll(async () => {
    const config = configWith([{ name: 'backends', when: { claim: 'hmac:key', anyOf: ['backend-1', 'backend-2'] }, channels: ['demo'], turn: true, roomPolicies: ['demo'] }]);
    server = await startLocalServer({ ...common, CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)), AUTH_HMAC_KEYS: JSON.stringify(keys) });
  });
  afterAll(() => server?.stop());

  /** An independent signer, as a backend author would write it from the README. */
  function sign(o: { method?: string; path: string; body: string; keyId?: string; key?: string; subject?: string; ts?: number; host?: string; query?: string }) {
    const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
    const contentSha256 = createHash('sha256').update(o.body).digest('hex');
    const subject = o.subject ?? 'user-42';
    const keyId = o.keyId ?? 'backend-1';
    const host = o.host ?? new URL(server.url).host;
    const toSign = ['TV2-HMAC-SHA256', o.method ?? 'POST', host, o.path, o.query ?? '', ts, keyId, subject, contentSha256].join('\n');
    return {
      'x-tv-key-id': keyId,
      'x-tv-timestamp': ts,
      'x-tv-subject': subject,
      'x-tv-content-sha256': contentSha256,
      'x-tv-signature': createHmac('sha256', o.key ?? keys[keyId as keyof typeof keys] ?? 'x').update(toSign).digest('hex'),
    };
  }
  const send = (path: string, body: string, headers: Record<string, string>) =>
    fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('accepts a valid signature from either key, on every route, with the signed subject as caller', async () => {
    for (const [path, body, status] of ROUTES) {
      const text = JSON.stringify(body);
      expect((await send(path, text, sign({ path, body: text }))).status, path).toBe(status);
      expect((await send(path, text, sign({ path, body: text, keyId: 'backend-2' }))).status, path).toBe(status);
    }
    const text = JSON.stringify({ room_name: 'demo' });
    const res = await send('/v1/room-tokens', text, sign({ path: '/v1/room-tokens', body: text, subject: 'user-9' }));
    expect((await new TokenVerifier(LK_KEY, LK_SECRET).verify((await jsonOf(res)).participant_token)).sub).toBe('backend-1/user-9');
  });

  const path = '/v1/playback-tokens';
  const body = JSON.stringify({ channel: 'demo' });
  it.each([
    ['an altered body', () => send(path, JSON.stringify({ channel: 'demo', ttlSeconds: 3600 }), sign({ path, body })), 401, 'body_mismatch'],
    ['an altered path', () => send(path, body, sign({ path: '/v1/turn-credentials', body })), 403, 'forbidden'],
    ['an altered method', () => send(path, body, sign({ method: 'PUT', path, body })), 403, 'forbidden'],
    ['an altered timestamp', () => send(path, body, { ...sign({ path, body }), 'x-tv-timestamp': String(Math.floor(Date.now() / 1000) - 5) }), 403, 'forbidden'],
    ['an altered subject', () => send(path, body, { ...sign({ path, body }), 'x-tv-subject': 'admin' }), 403, 'forbidden'],
    ['a stale timestamp', () => send(path, body, sign({ path, body, ts: Math.floor(Date.now() / 1000) - 301 })), 403, 'forbidden'],
    ['a timestamp from the future', () => send(path, body, sign({ path, body, ts: Math.floor(Date.now() / 1000) + 301 })), 403, 'forbidden'],
    ['a timestamp 60 s in the future', () => send(path, body, sign({ path, body, ts: Math.floor(Date.now() / 1000) + 60 })), 403, 'forbidden'],
    ['a request signed for another host (another stack with the same keys)', () => send(path, body, sign({ path, body, host: 'api.other.example.com' })), 403, 'forbidden'],
    ['a query string that was not signed', () => send(`${path}?ttlSeconds=3600`, body, sign({ path, body })), 403, 'forbidden'],
    ['a key id swapped for another id', () => send(path, body, { ...sign({ path, body }), 'x-tv-key-id': 'backend-2' }), 403, 'forbidden'],
    ['an unknown key id', () => send(path, body, sign({ path, body, keyId: 'backend-3', key: keys['backend-1'] })), 403, 'forbidden'],
    ['a signature with another key', () => send(path, body, sign({ path, body, key: keys['backend-2'] })), 403, 'forbidden'],
    ['a missing signature header', () => { const { 'x-tv-signature': _s, ...h } = sign({ path, body }); return send(path, body, h); }, 401, 'unauthenticated'],
  ])('refuses %s', async (_name, go, status, code) => {
    const res = await go();
    expect(res.status).toBe(status);
    expect((await jsonOf(res)).code).toBe(code);
  });

  it('accepts a signed query string', async () => {
    const res = await send(`${path}?b=x%20y&a=1`, body, sign({ path, body, query: 'a=1&b=x%20y' /* canonical form, as README describes */ }));
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('keeps two backends\' users apart: same subject, different room identity and TURN user', async () => {
    const as = async (keyId: string) => {
      const room = JSON.stringify({ room_name: 'demo' });
      const lk = await jsonOf(await send('/v1/room-tokens', room, sign({ path: '/v1/room-tokens', body: room, keyId })));
      const turn = await jsonOf(await send('/v1/turn-credentials', '{}', sign({ path: '/v1/turn-credentials', body: '{}', keyId })));
      return { identity: (await new TokenVerifier(LK_KEY, LK_SECRET).verify(lk.participant_token)).sub, turnUser: String(turn.username).split(':')[1] };
    };
    const [one, two] = [await as('backend-1'), await as('backend-2')];
    expect(one.identity).toBe('backend-1/user-42');
    expect(two.identity).toBe('backend-2/user-42');
    expect(one.turnUser).not.toBe(two.turnUser);
    expect(one.turnUser).toBe((await as('backend-1')).turnUser);
  });

  it('stops accepting a removed key after maxAge even when the secret then fails to parse (never stale)', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hmac-keys-AbCdEf';
    const sm = await fakeSecretsManager({ [arn]: { string: JSON.stringify(keys) } });
    const config = { ...configWith([{ name: 'backends', when: { claim: 'hmac:key', anyOf: ['backend-1', 'backend-2'] }, channels: ['demo'] }]), secrets: { maxAgeSeconds: 1, maxStaleSeconds: 3600 } };
    const s = await startLocalServer({
      ...common, ...FAKE_AWS_ENV,
      CONFIG_FILE: writeTempFile('c.json', JSON.stringify(config)),
      AUTH_HMAC_KEYS_SECRET_ID: arn,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    });
    const as = (keyId: string) =>
      fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...sign({ path, body, keyId, host: new URL(s.url).host }) }, body });
    try {
      expect((await as('backend-1')).status).toBe(200);
      sm.secrets[arn] = { string: '{"backend-2": "truncated' }; // an operator's broken edit
      await new Promise((r) => setTimeout(r, 1_300));
      expect((await as('backend-1')).status).toBe(403);
      sm.secrets[arn] = { string: JSON.stringify({ 'backend-2': keys['backend-2'] }) }; // backend-1 removed
      await new Promise((r) => setTimeout(r, 1_300));
      expect((await as('backend-1')).status).toBe(403);
      expect((await as('backend-2')).status).toBe(200);
      expect(s.output()).not.toContain(keys['backend-1']);
    } finally {
      await s.stop();
      await sm.close();
    }
  });

  it('keeps a backend entitled (on hmac:namespace) and its users\' ids through a key rotation', async () => {
    const rotated = { 'backend-1': keys['backend-1'], 'backend-1.2027': randomBytes(32).toString('base64url') };
    const config = configWith([{ name: 'b1', when: { claim: 'hmac:namespace', anyOf: ['backend-1'] }, channels: ['demo'], turn: true }]);
    const s = await startLocalServer({ ...common, CONFIG_FILE: writeTempFile('c.json', JSON.stringify(config)), AUTH_HMAC_KEYS: JSON.stringify(rotated) });
    try {
      const turnUser = async (keyId: keyof typeof rotated) => {
        const res = await fetch(s.url + '/v1/turn-credentials', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...sign({ path: '/v1/turn-credentials', body: '{}', keyId, key: rotated[keyId], host: new URL(s.url).host }) },
          body: '{}',
        });
        expect(res.status, keyId).toBe(200);
        return String((await jsonOf(res)).username).split(':')[1];
      };
      expect(await turnUser('backend-1.2027')).toBe(await turnUser('backend-1'));
    } finally {
      await s.stop();
    }
  });

  it('refuses a caller whose key has no entitlement with 403 not_entitled', async () => {
    const config = configWith([{ name: 'b1', when: { claim: 'hmac:key', anyOf: ['backend-1'] }, channels: ['demo'] }]);
    const s = await startLocalServer({ ...common, CONFIG_FILE: writeTempFile('c.json', JSON.stringify(config)), AUTH_HMAC_KEYS: JSON.stringify(keys) });
    try {
      const res = await fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...sign({ path, body, keyId: 'backend-2', host: new URL(s.url).host }) }, body });
      expect(res.status).toBe(403);
      expect((await jsonOf(res)).code).toBe('not_entitled');
    } finally {
      await s.stop();
    }
  });
});
