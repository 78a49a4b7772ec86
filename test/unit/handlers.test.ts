/**
 * The route handlers called in-process, as Lambda calls them: an API Gateway v2 event in, a
 * structured result out. The e2e tests cover the same routes over HTTP, but through a child
 * process; these run in the test's own process, so they also catch what a mutation test
 * changes (`npm run mutate`). What is asserted is what a client would see: status, headers,
 * the body, and whether the token verifies with the verifier that will check it.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpEvent, HttpResult } from '../../lambda/http/handler';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { jsonLines, printedBy } from '../support/fault-checks';
import { p384KeyPair } from '../support/keys';
import { ORIGIN_VERIFY_HEADER } from '../../lambda/http/edge';
import { writeTempFile } from '../support/local-server';

const CHANNEL_ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/Demo';
const PLAYBACK_URL = 'https://x.playback.live-video.net/api/video/v1/demo.m3u8';
const API_KEY = 'APIunit';
const API_SECRET = randomBytes(32).toString('base64url');
const E2EE_MASTER = randomBytes(32).toString('base64url');
const PEPPER = randomBytes(32).toString('base64url');
const playbackKeys = p384KeyPair();

const baseConfig = {
  channels: [{ id: 'demo', arn: CHANNEL_ARN, playbackUrl: PLAYBACK_URL }],
  origins: { allow: ['https://app.example.com', 'https://*.example.org'] },
  turn: { uris: ['stun:turn.example.com:3478', 'turn:turn.example.com:3478?transport=udp'] },
  livekit: {
    url: 'wss://livekit.example.com',
    roomPolicies: [{ name: 'studio', rooms: ['studio'], grants: { canPublish: true, canSubscribe: true }, e2ee: true, e2eeEpoch: 3 }],
  },
  entitlements: [{ name: 'everyone', channels: ['demo'], turn: true, roomPolicies: ['studio'] }],
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** Fresh handler modules (each reads its config and secrets on first use) under these env values. */
async function handlers(env: Record<string, string>, config: object = baseConfig) {
  vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify(config));
  vi.stubEnv('PLAYBACK_PRIVATE_KEY_FILE', writeTempFile('playback.pem', playbackKeys.sec1Pem));
  vi.stubEnv('PSEUDONYM_PEPPER_FILE', writeTempFile('pepper', PEPPER));
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.resetModules();
  return {
    playback: (await import('../../lambda/handlers/playback-tokens')).handler,
    turn: (await import('../../lambda/handlers/turn-credentials')).handler,
    room: (await import('../../lambda/handlers/room-tokens')).handler,
    authorizer: (await import('../../lambda/handlers/hmac-authorizer')).handler,
    notFound: (await import('../../lambda/handlers/not-found')).handler,
  };
}

function event(body: unknown, opts: { headers?: Record<string, string>; lambda?: Record<string, string> } = {}): HttpEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'unit-req',
      http: { method: 'POST', path: '/' },
      authorizer: opts.lambda ? { lambda: opts.lambda } : { jwt: { claims: { sub: 'alice', iss: 'https://idp.example.com' }, scopes: [] } },
    },
  } as unknown as HttpEvent;
}

const bodyOf = (r: HttpResult) => JSON.parse(String(r.body)) as Record<string, any>;

describe('TURN credentials during a secret rotation', () => {
  it('are signed with the first configured secret, not with the staged one', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: JSON.stringify({ secrets: ['the-new-secret', 'the-old-secret'] }) });
    const res = await h.turn(event(undefined));
    expect(res.statusCode).toBe(200);
    const c = bodyOf(res);
    expect(c.password).toBe(createHmac('sha1', 'the-new-secret').update(c.username).digest('base64'));
    expect(c.password).not.toBe(createHmac('sha1', 'the-old-secret').update(c.username).digest('base64'));
  });
});

describe('room tokens and their E2EE key, in-process', () => {
  const livekitEnv = () => ({ LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', `${E2EE_MASTER}\n`) });

  it('carry the room key derived from the master secret, epoch and room (HKDF-SHA256), and a token LiveKit accepts', async () => {
    const h = await handlers(livekitEnv());
    const res = await h.room(event({ room_name: 'studio' }));
    expect(res.statusCode).toBe(201);
    const b = bodyOf(res);
    // Computed here from the documented derivation with node:crypto, not with lambda/tokens/room.ts.
    const expected = Buffer.from(hkdfSync('sha256', Buffer.from(E2EE_MASTER), Buffer.from('token-vending/livekit-e2ee'), Buffer.from('v1|3|studio'), 32)).toString('base64');
    expect(b.e2ee_key).toBe(expected);
    // LiveKit's verifier does not read typ; other JWT libraries a client may use do.
    expect(decodeProtectedHeader(b.participant_token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const grant = await new TokenVerifier(API_KEY, API_SECRET).verify(b.participant_token);
    expect(grant.sub).toBe('alice');
    expect(grant.video).toMatchObject({ room: 'studio', roomJoin: true, canPublish: true, canSubscribe: true });
    expect(b.server_url).toBe('wss://livekit.example.com');
  });

  it('are refused with 503 when the E2EE master secret is shorter than 32 characters (whitespace does not count)', async () => {
    const h = await handlers({ ...livekitEnv(), LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', `  ${'k'.repeat(31)}  \n`) });
    const res = await h.room(event({ room_name: 'studio' }));
    expect(res.statusCode).toBe(503);
    expect(bodyOf(res)).toMatchObject({ code: 'secret_unavailable', detail: expect.stringMatching(/E2EE master secret is misconfigured/) });
    expect(String(res.body)).not.toContain('participant_token');
  });

  it('accept the local server\'s short dev secret (`livekit-server --dev` uses "secret")', async () => {
    const h = await handlers({ ...livekitEnv(), LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' });
    const res = await h.room(event({ room_name: 'studio' }));
    expect(res.statusCode).toBe(201);
    await expect(new TokenVerifier('devkey', 'secret').verify(bodyOf(res).participant_token)).resolves.toMatchObject({ sub: 'alice' });
  });
});

describe('a failure nobody planned for', () => {
  it.each([
    ['an Error whose message holds internals', new TypeError('ENOENT /var/task/secret.pem, token eyJhbGciOi')],
    ['a thrown string', 'eyJhbGciOiJFUzM4NCJ9.payload.sig'],
  ])('(%s) is a bare 500 problem: nothing of the error in the body, and no-store', async (_name, thrown) => {
    await handlers({});
    const { httpHandler } = await import('../../lambda/http/handler');
    const res = await httpHandler('POST /v1/unit', async () => {
      throw thrown;
    })(event({}));
    expect(res.statusCode).toBe(500);
    expect(res.headers).toEqual({ 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
    expect(bodyOf(res)).toEqual({
      type: 'urn:token-vending:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The request could not be completed; it has been logged.',
      code: 'internal_error',
    });
  });
});

describe('HMAC-signed requests, authorizer and handler together', () => {
  const KEY = 'k'.repeat(40);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const T = () => String(Math.floor(Date.now() / 1000));
  /** Signed as the README documents it (TV2), computed here, not with lambda/http/hmac.ts. */
  function signedHeaders(body: string, path = '/v1/turn-credentials') {
    const ts = T();
    const toSign = ['TV2-HMAC-SHA256', 'POST', 'api.example.com', path, '', ts, 'backend-1', 'user-42', sha(body)].join('\n');
    return {
      'x-tv-key-id': 'backend-1',
      'x-tv-timestamp': ts,
      'x-tv-subject': 'user-42',
      'x-tv-content-sha256': sha(body),
      'x-tv-signature': createHmac('sha256', KEY).update(toSign).digest('hex'),
    };
  }
  const authorizerEvent = (headers: Record<string, string>, path = '/v1/turn-credentials') =>
    ({
      version: '2.0',
      type: 'REQUEST',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers,
      requestContext: { requestId: 'unit-auth', domainName: 'api.example.com', http: { method: 'POST', path } },
    }) as unknown as APIGatewayRequestAuthorizerEventV2;

  it('authorizes a correctly signed request and passes the signed body hash on', async () => {
    const h = await handlers({ AUTH_HMAC_KEYS: JSON.stringify({ 'backend-1': KEY }) });
    const r = await h.authorizer(authorizerEvent(signedHeaders('{}')));
    expect(r).toEqual({
      isAuthorized: true,
      context: {
        sub: 'user-42',
        iss: 'urn:token-vending:hmac:backend-1',
        'hmac:key': 'backend-1',
        'hmac:namespace': 'backend-1',
        contentSha256: sha('{}'),
      },
    });
  });

  it.each([
    ['are not valid JSON', 'not json'],
    ['hold only a short key', JSON.stringify({ 'backend-1': 'short' })],
  ])('refuses every request, even a correctly signed one, when the keys %s', async (_n, raw) => {
    const h = await handlers({ AUTH_HMAC_KEYS: raw });
    expect(await h.authorizer(authorizerEvent(signedHeaders('{}')))).toEqual({ isAuthorized: false, context: {} });
  });

  it('refuses every request when no key source is configured at all', async () => {
    const h = await handlers({});
    expect(await h.authorizer(authorizerEvent(signedHeaders('{}')))).toEqual({ isAuthorized: false, context: {} });
  });

  it('refuses a request whose signature does not verify', async () => {
    const h = await handlers({ AUTH_HMAC_KEYS: JSON.stringify({ 'backend-1': KEY }) });
    const headers = { ...signedHeaders('{}'), 'x-tv-subject': 'user-43' };
    expect(await h.authorizer(authorizerEvent(headers))).toEqual({ isAuthorized: false, context: {} });
  });

  const hmacContext = (bodySha256: string) => ({
    sub: 'user-42',
    iss: 'urn:token-vending:hmac:backend-1',
    'hmac:key': 'backend-1',
    'hmac:namespace': 'backend-1',
    contentSha256: bodySha256,
  });
  const hmacConfig = {
    ...baseConfig,
    entitlements: [{ name: 'backends', when: { claim: 'hmac:key', anyOf: ['backend-1'] }, channels: ['demo'], turn: true, roomPolicies: ['studio'] }],
  };

  it('refuses an empty body whose signature was made over a non-empty one (401 body_mismatch)', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' }, hmacConfig);
    const res = await h.turn(event(undefined, { lambda: hmacContext(sha('{"ttlSeconds":60}')) }));
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).code).toBe('body_mismatch');
  });

  it('refuses a body other than the signed one, and a context without a body hash', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' }, hmacConfig);
    expect((await h.turn(event({ ttlSeconds: 120 }, { lambda: hmacContext(sha('{"ttlSeconds":60}')) }))).statusCode).toBe(401);
    const { contentSha256: _drop, ...noHash } = hmacContext('');
    const res = await h.turn(event(undefined, { lambda: noHash }));
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).code).toBe('body_mismatch');
  });

  it('accepts an empty body signed as the hash of "" and the exact signed body', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' }, hmacConfig);
    expect((await h.turn(event(undefined, { lambda: hmacContext(sha('')) }))).statusCode).toBe(200);
    const body = '{"ttlSeconds":60}';
    const res = await h.turn(event(body, { lambda: hmacContext(sha(body)) }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).ttl).toBe(60);
  });
});

describe('playback tokens, in-process', () => {
  const verify = async (token: string) => (await jwtVerify(token, playbackKeys.publicKey, { algorithms: ['ES384'] })).payload;

  it('sign an ES384 token for the configured channel, with the page\'s own origin, and put it on the playback URL', async () => {
    const h = await handlers({});
    const before = Math.floor(Date.now() / 1000);
    const res = await h.playback(event({ channel: 'demo' }, { headers: { origin: 'https://App.Example.com' } }));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const b = bodyOf(res);
    expect(decodeProtectedHeader(b.token)).toEqual({ alg: 'ES384', typ: 'JWT' });
    const claims = await verify(b.token);
    expect(claims).toEqual({ 'aws:channel-arn': CHANNEL_ARN, 'aws:access-control-allow-origin': 'https://app.example.com', exp: claims.exp });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 300);
    expect(claims.exp).toBeLessThanOrEqual(before + 301);
    expect(b).toEqual({ token: b.token, expiresAt: new Date(claims.exp! * 1000).toISOString(), playbackUrl: `${PLAYBACK_URL}?token=${b.token}`, channelArn: CHANNEL_ARN });
  });

  it('give a backend (no Origin) the whole allow-list as the origin claim, wildcards included', async () => {
    const h = await handlers({});
    const claims = await verify(bodyOf(await h.playback(event({ channel: CHANNEL_ARN }))).token);
    expect(claims['aws:access-control-allow-origin']).toBe('https://app.example.com,https://*.example.org');
  });

  it('are refused to a page on an origin not allowed, and for a channel not configured', async () => {
    const h = await handlers({});
    const evil = await h.playback(event({ channel: 'demo' }, { headers: { origin: 'https://evil.example.com' } }));
    expect([evil.statusCode, bodyOf(evil).code]).toEqual([403, 'origin_not_allowed']);
    const other = await h.playback(event({ channel: 'arn:aws:ivs:us-east-1:123456789012:channel/Other' }));
    expect([other.statusCode, bodyOf(other).code]).toEqual([403, 'not_entitled']);
  });

  it('cap the resolution at the entitlement: less may be asked for, more is 403', async () => {
    const config = { ...baseConfig, entitlements: [{ name: 'hd', channels: ['demo'], maximumResolution: 'HD' }] };
    const h = await handlers({}, config);
    expect((await verify(bodyOf(await h.playback(event({ channel: 'demo' }))).token))['aws:maximum-resolution']).toBe('HD');
    expect((await verify(bodyOf(await h.playback(event({ channel: 'demo', maximumResolution: 'SD' }))).token))['aws:maximum-resolution']).toBe('SD');
    const more = await h.playback(event({ channel: 'demo', maximumResolution: 'FULL_HD' }));
    expect([more.statusCode, bodyOf(more).code]).toEqual([403, 'resolution_not_allowed']);
  });

  it('with viewer ids on, carry the caller\'s pseudonym (derived with the pepper) and live at most 600 s', async () => {
    const config = { ...baseConfig, playback: { viewerId: true, ttlSeconds: { default: 600, min: 30, max: 3600 } } };
    const h = await handlers({}, config);
    const before = Math.floor(Date.now() / 1000);
    const claims = await verify(bodyOf(await h.playback(event({ channel: 'demo' }))).token);
    const expected = createHmac('sha256', PEPPER).update('token-vending/ivs-viewer\0https://idp.example.com\0alice').digest('base64url').slice(0, 32);
    expect(claims['aws:viewer-id']).toBe(expected);
    expect(claims.exp).toBeLessThanOrEqual(before + 601);
    expect(claims.exp).toBeGreaterThanOrEqual(before + 600);
    const tooLong = await h.playback(event({ channel: 'demo', ttlSeconds: 601 }));
    expect([tooLong.statusCode, bodyOf(tooLong).code]).toEqual([400, 'ttl_out_of_range']);
  });

  it('mark a single-use token with a fresh UUID', async () => {
    const h = await handlers({});
    const a = await verify(bodyOf(await h.playback(event({ channel: 'demo', singleUse: true }))).token);
    const b = await verify(bodyOf(await h.playback(event({ channel: 'demo', singleUse: true }))).token);
    expect(a['aws:single-use-uuid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a['aws:single-use-uuid']).not.toBe(b['aws:single-use-uuid']);
    expect(await verify(bodyOf(await h.playback(event({ channel: 'demo' }))).token)).not.toHaveProperty('aws:single-use-uuid');
  });

  it('are 401 for a request without a caller', async () => {
    const h = await handlers({});
    const e = event({ channel: 'demo' });
    (e.requestContext as { authorizer?: unknown }).authorizer = undefined;
    const res = await h.playback(e);
    expect([res.statusCode, bodyOf(res).code]).toEqual([401, 'unauthenticated']);
  });
});

describe('unmatched requests ($default), in-process', () => {
  const unmatched = (method: string, path: string) => {
    const e = event(undefined);
    e.rawPath = path;
    e.requestContext.http = { ...e.requestContext.http, method, path };
    return e;
  };
  it('are 405 with Allow for a route known under another method, 404 for an unknown path, and 204 for OPTIONS', async () => {
    const h = await handlers({});
    const wrongMethod = await h.notFound(unmatched('GET', '/v1/playback-tokens'));
    expect([wrongMethod.statusCode, wrongMethod.headers?.allow, bodyOf(wrongMethod).code]).toEqual([405, 'POST', 'method_not_allowed']);
    const unknown = await h.notFound(unmatched('GET', '/v1/nope'));
    expect([unknown.statusCode, unknown.headers?.allow, bodyOf(unknown).code]).toEqual([404, undefined, 'not_found']);
    const jwks = await h.notFound(unmatched('POST', '/.well-known/jwks.json'));
    expect([jwks.statusCode, jwks.headers?.allow]).toEqual([405, 'GET']);
    const options = await h.notFound(unmatched('OPTIONS', '/v1/room-tokens'));
    expect([options.statusCode, options.headers]).toEqual([204, { allow: 'POST' }]);
  });
});

describe('TURN credentials, in-process', () => {
  it('use the caller\'s pseudonym as user, the requested TTL, and the configured URIs', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' });
    const before = Math.floor(Date.now() / 1000);
    const c = bodyOf(await h.turn(event({ ttlSeconds: 120 })));
    const [expiry, user] = c.username.split(':');
    expect(user).toBe(createHmac('sha256', PEPPER).update('token-vending/turn-user\0https://idp.example.com\0alice').digest('base64url').slice(0, 22));
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 120);
    expect(Number(expiry)).toBeLessThanOrEqual(before + 121);
    expect(c.ttl).toBe(120);
    expect(c.uris).toEqual(['turn:turn.example.com:3478?transport=udp']);
  });

  it('are 403 for a caller without the TURN entitlement, and 404 where TURN is not configured', async () => {
    const noTurn = { ...baseConfig, entitlements: [{ name: 'watch', channels: ['demo'] }] };
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' }, noTurn);
    const res = await h.turn(event({}));
    expect([res.statusCode, bodyOf(res).code]).toEqual([403, 'not_entitled']);
    const { turn: _t, ...unconfigured } = baseConfig;
    const h2 = await handlers({}, unconfigured);
    expect((await h2.turn(event({}))).statusCode).toBe(404);
  });
});

describe('behind the edge, in-process (the origin-verify secret from the loopback Secrets Manager, real SDK)', () => {
  it('refuses a request without the current or previous value with 403 before reading the body, and serves one with it', async () => {
    const current = randomBytes(24).toString('base64url');
    const previous = randomBytes(24).toString('base64url');
    const sm = await fakeSecretsManager({ 'Tv/edge': { string: JSON.stringify({ current, previous }) } });
    try {
      const h = await handlers({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, EDGE_ORIGIN_SECRET_ID: 'Tv/edge', TURN_STATIC_AUTH_SECRET: 'turn-secret' });
      const attempts: Record<string, string>[] = [{}, { [ORIGIN_VERIFY_HEADER]: current.slice(1) }, { [ORIGIN_VERIFY_HEADER]: `${current} ` }];
      for (const headers of attempts) {
        const res = await h.turn(event('{not json', { headers }));
        expect([res.statusCode, bodyOf(res).code, bodyOf(res).detail]).toEqual([403, 'edge_required', 'Call the API at its public address.']);
        expect(String(res.body)).not.toContain(current);
      }
      for (const value of [current, previous]) expect((await h.turn(event({}, { headers: { [ORIGIN_VERIFY_HEADER]: value } }))).statusCode).toBe(200);
      expect(sm.getSecretValueCalls('Tv/edge')).toBe(1); // read once, then cached
      const headless = event({});
      delete (headless as { headers?: unknown }).headers;
      expect((await h.turn(headless)).statusCode).toBe(403);
    } finally {
      await sm.close();
    }
  });

  it('stops opening the door once the secret cannot be read past maxAge: never served stale', async () => {
    const current = randomBytes(24).toString('base64url');
    const sm = await fakeSecretsManager({ 'Tv/edge': { string: JSON.stringify({ current }) } });
    try {
      const config = { ...baseConfig, secrets: { maxAgeSeconds: 1, maxStaleSeconds: 3600 } };
      const h = await handlers({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, EDGE_ORIGIN_SECRET_ID: 'Tv/edge', TURN_STATIC_AUTH_SECRET: 'turn-secret' }, config);
      const through = () => h.turn(event({}, { headers: { [ORIGIN_VERIFY_HEADER]: current } }));
      expect((await through()).statusCode).toBe(200);
      sm.state.mode = 'denied';
      await new Promise((r) => setTimeout(r, 1_100));
      const res = await through();
      expect([res.statusCode, bodyOf(res).code, bodyOf(res).detail]).toEqual([503, 'secret_unavailable', 'The origin-verify secret cannot be loaded right now; try again shortly.']);
    } finally {
      await sm.close();
    }
  });

  it('is not checked where the stack configured no edge secret (the local server stands in for the edge)', async () => {
    const h = await handlers({ TURN_STATIC_AUTH_SECRET: 'turn-secret' });
    expect((await h.turn(event({}))).statusCode).toBe(200);
  });
});

describe('the log lines an operator queries (in-process, as CloudWatch Logs gets them)', () => {
  it('one "request" line per request with route, status, request id and duration; a WARN for a 5xx refusal; an ERROR for the unplanned', async () => {
    const h = await handlers({ POWERTOOLS_LOG_LEVEL: 'INFO', TURN_SECRET_FILE: '/nonexistent/turn' }); // unreadable: the route answers 503
    const lines = jsonLines(await printedBy(() => h.turn(event({}))));
    const request = lines.find((l) => l.message === 'request');
    expect(request).toMatchObject({ level: 'INFO', route: 'POST /v1/turn-credentials', status: 503, requestId: 'unit-req' });
    expect(typeof request?.ms).toBe('number');
    expect(request?.ms).toBeGreaterThanOrEqual(0);
    expect(lines.find((l) => l.message === 'request refused')).toMatchObject({ level: 'WARN', route: 'POST /v1/turn-credentials', code: 'secret_unavailable' });

    const { httpHandler } = await import('../../lambda/http/handler');
    const boom = httpHandler('POST /v1/unit', async () => {
      throw new RangeError('internal detail');
    });
    const more = jsonLines(await printedBy(() => boom(event({}))));
    expect(more.find((l) => l.message === 'unhandled error')).toMatchObject({ level: 'ERROR', route: 'POST /v1/unit' });
    expect(more.find((l) => l.message === 'request')).toMatchObject({ route: 'POST /v1/unit', status: 500 });
    // A 4xx is the caller's business: no WARN.
    const ok = await handlers({ POWERTOOLS_LOG_LEVEL: 'INFO', TURN_STATIC_AUTH_SECRET: 'turn-secret' });
    const quiet = jsonLines(await printedBy(() => ok.turn(event('{"ttlSeconds": "x"}'))));
    expect(quiet.map((l) => l.message)).toEqual(['request']);
  });
});
