/**
 * The typed client (`token-vending/client`, imported by package name as a user would) against
 * the local server over HTTP: playback URLs with a fresh token each, ICE servers cached until
 * shortly before expiry, room tokens in LiveKit's TokenSource.endpoint convention (agent
 * dispatch included), and refusals as TokenVendingError with the problem's code.
 */
import { build } from 'esbuild';
import { jwtVerify } from 'jose';
import { TokenSource } from 'livekit-client';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVendingClient, TokenVendingError } from 'token-vending/client';
import { p384KeyPair } from '../support/keys';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';
import { startIssuer, type Issuer } from '../support/oidc-issuer';

const LK = { key: 'APIclient', secret: 'client-test-secret-that-is-long-enough-01' };
const keys = p384KeyPair();
const config = {
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  turn: { uris: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp'], ttlSeconds: { default: 3600, min: 60, max: 86_400 } },
  livekit: {
    url: 'wss://lk.example.com',
    roomPolicies: [
      { name: 'studio', rooms: ['studio'], grants: { canPublish: true }, e2ee: true, agents: ['support-bot'] },
      { name: 'lobby', rooms: ['lobby'] },
    ],
  },
  entitlements: [
    { name: 'subscribers', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['demo'], maximumResolution: 'HD', turn: true, roomPolicies: ['studio', 'lobby'] },
  ],
};

let idp: Issuer;
let server: LocalServer;
/** Requests that reached a route's handler, by route (each logs one line with its route). */
const handled = (route: string) => server.output().split(`"route":"${route}"`).length - 1;

beforeAll(async () => {
  idp = await startIssuer();
  server = await startLocalServer({
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', keys.pkcs8Pem),
    TURN_STATIC_AUTH_SECRET: 'client-test-turn-secret',
    LIVEKIT_API_KEY: LK.key,
    LIVEKIT_API_SECRET: LK.secret,
    LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', 'client-test-e2ee-master-secret-0123456789'),
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
  });
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

const subscriber = () => new TokenVendingClient({ baseUrl: server.url, getToken: () => idp.mint({ 'cognito:groups': ['subscribers'] }) });

describe('playback', () => {
  it('returns the tokenized URL, with a fresh token for each playback start', async () => {
    const api = subscriber();
    const before = handled('POST /v1/playback-tokens');
    const [a, b] = [await api.playbackUrl('demo'), await api.playbackUrl('demo', { maximumResolution: 'SD' })];
    expect(handled('POST /v1/playback-tokens')).toBe(before + 2);
    for (const url of [a, b]) expect(url).toMatch(/^https:\/\/x\.playback\.live-video\.net\/a\.m3u8\?token=eyJ/);
    const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
    expect(tokenOf(a)).not.toBe(tokenOf(b));
    const { payload } = await jwtVerify(tokenOf(b), keys.publicKey, { algorithms: ['ES384'] });
    expect(payload).toMatchObject({ 'aws:channel-arn': config.channels[0]!.arn, 'aws:maximum-resolution': 'SD' });
  });

  it('startPlayback loads a new URL into the player at every start, then plays', async () => {
    const api = subscriber();
    const calls: string[] = [];
    const player = { load: (url: string) => calls.push(`load ${url}`), play: () => calls.push('play') };
    const first = await api.startPlayback(player, 'demo');
    const second = await api.startPlayback(player, 'demo');
    expect(calls).toEqual([`load ${first.playbackUrl}`, 'play', `load ${second.playbackUrl}`, 'play']);
    expect(first.token).not.toBe(second.token);
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());
  });
});

describe('iceServers()', () => {
  it('fetches once and serves the cache until shortly before expiry; concurrent calls share one request', async () => {
    let now = Date.now();
    const api = new TokenVendingClient({ baseUrl: server.url, getToken: () => idp.mint({ 'cognito:groups': ['subscribers'] }), now: () => now, iceRefreshSeconds: 300 });
    const before = handled('POST /v1/turn-credentials');
    const [a, b] = await Promise.all([api.iceServers(), api.iceServers()]);
    expect(handled('POST /v1/turn-credentials')).toBe(before + 1);
    expect(b).toBe(a);
    expect(a).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username: expect.stringMatching(/^\d+:/), credential: expect.any(String) },
    ]);
    const expiry = Number(a[1]!.username!.split(':')[0]) * 1000;
    now = expiry - 301_000; // still more than 300 s left
    expect(await api.iceServers()).toBe(a);
    expect(handled('POST /v1/turn-credentials')).toBe(before + 1);
    now = expiry - 299_000; // within the refresh window
    const fresh = await api.iceServers();
    expect(handled('POST /v1/turn-credentials')).toBe(before + 2);
    expect(fresh).not.toBe(a);
  });

  it('does not cache a failure', async () => {
    const api = new TokenVendingClient({ baseUrl: server.url }); // no token: 401
    await expect(api.iceServers()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    await expect(api.iceServers()).rejects.toMatchObject({ status: 401 });
  });
});

describe('roomToken() (TokenSource.endpoint convention)', () => {
  const verifier = new TokenVerifier(LK.key, LK.secret);

  it('returns serverUrl and participantToken, and the E2EE key where the policy hands one out', async () => {
    const token = await subscriber().roomToken({ roomName: 'studio', participantName: 'Ann' });
    expect(token.serverUrl).toBe('wss://lk.example.com');
    expect(Buffer.from(token.e2eeKey!, 'base64')).toHaveLength(32);
    const claims = await verifier.verify(token.participantToken);
    expect(claims).toMatchObject({ name: 'Ann', video: { room: 'studio', roomJoin: true, canPublish: true } });
    expect(await subscriber().roomToken({ roomName: 'lobby' })).not.toHaveProperty('e2eeKey');
  });

  it('dispatches an agent the policy lists, and refuses another with code field_not_allowed', async () => {
    const token = await subscriber().roomToken({ roomName: 'studio', agentName: 'support-bot', agentMetadata: '{"topic":"billing"}' });
    expect((await verifier.verify(token.participantToken)).roomConfig).toEqual({ agents: [{ agentName: 'support-bot', metadata: '{"topic":"billing"}' }] });
    const refused = await subscriber().roomToken({ roomName: 'lobby', agentName: 'support-bot' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenVendingError);
    expect(refused).toMatchObject({ status: 403, code: 'field_not_allowed' });
  });

  it('names the endpoint that livekit-client\'s TokenSource.endpoint can call itself', async () => {
    const api = subscriber();
    const source = TokenSource.endpoint(api.roomTokenEndpoint, { headers: { authorization: `Bearer ${await idp.mint({ 'cognito:groups': ['subscribers'] })}` } });
    const { participantToken } = await source.fetch({ roomName: 'studio', agentName: 'support-bot' });
    expect((await verifier.verify(participantToken)).roomConfig?.agents?.[0]?.agentName).toBe('support-bot');
  });
});

describe('errors', () => {
  it('turn problem+json into TokenVendingError with status, code, detail and field errors', async () => {
    const api = subscriber();
    const notEntitled = await api.playbackUrl('nope').catch((e: unknown) => e);
    expect(notEntitled).toBeInstanceOf(TokenVendingError);
    expect(notEntitled).toMatchObject({ status: 403, code: 'not_entitled', title: 'Forbidden', message: expect.stringMatching(/^403 not_entitled: /) });
    expect(await api.playbackUrl('demo', { maximumResolution: 'FULL_HD' }).catch((e: unknown) => e)).toMatchObject({ code: 'resolution_not_allowed' });
    const invalid = (await api.playbackUrl('demo', { ttlSeconds: -1 }).catch((e: unknown) => e)) as TokenVendingError;
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(invalid.errors.map((e) => e.path)).toEqual(['ttlSeconds']);
    expect(await new TokenVendingClient({ baseUrl: server.url }).playbackUrl('demo').catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it("map API Gateway's own {\"message\"} refusals and Retry-After (as deployed)", async () => {
    const answer = (status: number, body: string, headers: Record<string, string> = {}) =>
      new TokenVendingClient({ baseUrl: 'https://api.example.com', fetch: async () => new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } }) });
    expect(await answer(401, '{"message":"Unauthorized"}').playbackUrl('x').catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthenticated', detail: 'Unauthorized' });
    expect(await answer(403, '{"message":"Forbidden"}').iceServers().catch((e: unknown) => e)).toMatchObject({ status: 403, code: 'forbidden' });
    const busy = '{"type":"urn:token-vending:problem:secret_unavailable","title":"Service Unavailable","status":503,"detail":"later","code":"secret_unavailable"}';
    expect(await answer(503, busy, { 'retry-after': '2' }).playbackUrl('x').catch((e: unknown) => e)).toMatchObject({ code: 'secret_unavailable', retryAfterSeconds: 2 });
    expect(await answer(502, 'Bad Gateway').playbackUrl('x').catch((e: unknown) => e)).toMatchObject({ status: 502, code: 'http_502' });
  });
});

describe('the package', () => {
  it('exports the client with no runtime dependencies (it bundles to one file that imports nothing)', async () => {
    // Every package left external: whatever the client needs at run time would show up as an import.
    const out = await build({ entryPoints: ['client/index.ts'], bundle: true, packages: 'external', format: 'esm', platform: 'neutral', write: false, metafile: true, logLevel: 'silent' });
    expect(Object.keys(out.metafile!.inputs)).toEqual(['client/index.ts']);
    expect(Object.values(out.metafile!.outputs).flatMap((o) => o.imports)).toEqual([]);
    expect(out.outputFiles[0]!.text).not.toMatch(/\bimport\b|require\(/);
  });
});
