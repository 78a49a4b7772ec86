/**
 * The API as a browser frontend on another origin sees it: CORS preflights answered without
 * meeting the authorizer (as API Gateway does with the stack's `OPTIONS /{proxy+}` route and
 * CORS configuration), CORS headers on every response to an allowed origin, none for others,
 * and forged origins refused. Over raw HTTP first, then in a real Chromium (Debian's
 * `chromium`, driven by playwright-core) calling every route with an Authorization header.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';
import { startIssuer, type Issuer } from '../support/oidc-issuer';

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
if (!chromiumInstalled && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
if (!chromiumInstalled) console.warn('SKIPPED: the browser CORS test needs Debian\'s chromium (apt-get install chromium)');

const LK = { key: 'APIcors', secret: 'cors-test-secret-that-is-long-enough-0123' };
const keys = p384KeyPair();

let idp: Issuer;
let pages: Server;
let pagePort: number;
let api: LocalServer;
/** The page origin the config allows, and one it does not (same page server, other host name). */
let allowed: string;
let other: string;

beforeAll(async () => {
  idp = await startIssuer();
  pages = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>frontend</title><h1>frontend</h1>');
  });
  await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
  pagePort = (pages.address() as AddressInfo).port;
  allowed = `http://localhost:${pagePort}`;
  other = `http://127.0.0.1:${pagePort}`;
  const config = {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    origins: { allow: [allowed, 'https://*.example.org'] },
    turn: { uris: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp'] },
    livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'demo', rooms: ['demo'] }] },
    entitlements: [{ name: 'subscribers', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['demo'], turn: true, roomPolicies: ['demo'] }],
  };
  api = await startLocalServer({
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', keys.pkcs8Pem),
    TURN_STATIC_AUTH_SECRET: 'cors-test-turn-secret',
    LIVEKIT_API_KEY: LK.key,
    LIVEKIT_API_SECRET: LK.secret,
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
  });
});
afterAll(async () => {
  await api?.stop();
  await idp?.close();
  await new Promise((r) => pages?.close(r));
});

const preflight = (origin: string, path = '/v1/playback-tokens') =>
  fetch(api.url + path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });

describe('CORS over HTTP, as API Gateway answers it', () => {
  it.each(['/v1/playback-tokens', '/v1/turn-credentials', '/v1/room-tokens', '/v1/unknown'])(
    'answers the preflight for %s from an allowed origin without asking for a token',
    async (path) => {
      const res = await preflight(allowed, path);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST'); // GET: the public JWKS
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
      expect(res.headers.get('access-control-max-age')).toBe('3600');
    },
  );

  it('answers a preflight from another origin without CORS headers, so the browser stops', async () => {
    for (const origin of [other, 'https://evil.com,x.example.org', 'null']) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('compares origins as exact strings, as API Gateway does: no subdomain wildcard, no case folding', async () => {
    // `https://*.example.org` is in origins.allow, but API Gateway's CORS has no subdomain wildcards.
    expect((await preflight('https://app.example.org')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(allowed.toUpperCase())).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends OPTIONS / to $default, behind the authorizer (/{proxy+} does not match /)', async () => {
    expect((await preflight(allowed, '/')).status).toBe(401);
  });

  it('sends an OPTIONS that is not a preflight to the unauthorized fallback route: 204, no token asked', async () => {
    const res = await fetch(`${api.url}/v1/playback-tokens`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('puts Access-Control-Allow-Origin on answers to an allowed origin: tokens, refusals, and 401s', async () => {
    const token = await idp.mint({ 'cognito:groups': ['subscribers'] });
    const ok = await api.post('/v1/playback-tokens', { channel: 'demo' }, { origin: allowed, authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(ok.headers.get('access-control-expose-headers')).toBe('retry-after');
    const refused = await api.post('/v1/playback-tokens', { channel: 'nope' }, { origin: allowed, authorization: `Bearer ${token}` });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(allowed);
    const unauthenticated = await api.post('/v1/playback-tokens', { channel: 'demo' }, { origin: allowed });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(allowed);
  });

  it('refuses a forged origin list with 403 origin_not_allowed and no CORS header', async () => {
    const token = await idp.mint({ 'cognito:groups': ['subscribers'] });
    for (const origin of ['https://evil.com,x.example.org', 'https://*,x.example.org', 'https://x.example.org?', 'https://u@x.example.org']) {
      const res = await api.post('/v1/playback-tokens', { channel: 'demo' }, { origin, authorization: `Bearer ${token}` });
      expect(res.status, origin).toBe(403);
      expect((await jsonOf(res)).code).toBe('origin_not_allowed');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe.skipIf(!chromiumInstalled)('CORS in Chromium: a page on another origin calls every route', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);
  afterAll(async () => browser?.close());
  /** How many requests reached a route's handler (each logs one line with its route). */
  const handled = () => api.output().split('"route":"POST /v1/').length - 1;

  /** Run `fetch` inside a page served from `origin`, exactly as a frontend would. */
  async function fromPage(origin: string, token: string | undefined) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, token }) => {
          const call = async (path: string, body: unknown) => {
            try {
              const headers: Record<string, string> = { 'content-type': 'application/json' };
              if (token) headers.authorization = `Bearer ${token}`;
              const res = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
              return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
            } catch (err) {
              return { error: String(err) };
            }
          };
          return {
            playback: await call('/v1/playback-tokens', { channel: 'demo' }),
            turn: await call('/v1/turn-credentials', {}),
            room: await call('/v1/room-tokens', { room_name: 'demo' }),
          };
        },
        { url: api.url, token },
      );
    } finally {
      await page.close();
    }
  }

  it('gets a playback token, TURN credentials and a room token with the Authorization header', async () => {
    const before = handled();
    const r = await fromPage(allowed, await idp.mint({ 'cognito:groups': ['subscribers'] }));
    expect(handled()).toBe(before + 3);
    expect(r.playback).toMatchObject({ status: 200 });
    expect(r.turn).toMatchObject({ status: 200 });
    expect(r.room).toMatchObject({ status: 201 });
    const playback = (r.playback as { body: { token: string; playbackUrl: string } }).body;
    const { payload } = await jwtVerify(playback.token, keys.publicKey, { algorithms: ['ES384'] });
    expect(payload['aws:access-control-allow-origin']).toBe(allowed);
    expect(playback.playbackUrl).toContain(`?token=${playback.token}`);
    expect((r.turn as { body: { iceServers: unknown[] } }).body.iceServers).toHaveLength(2);
    const room = (r.room as { body: { participant_token: string } }).body;
    expect((await new TokenVerifier(LK.key, LK.secret).verify(room.participant_token)).video?.room).toBe('demo');
  });

  it('lets the page read a refusal (401 without a token) instead of failing the fetch', async () => {
    const r = await fromPage(allowed, undefined);
    for (const call of [r.playback, r.turn, r.room]) expect(call).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
  });

  it('blocks a page on an origin that is not allowed: the browser fails the fetch', async () => {
    const before = handled();
    const r = await fromPage(other, await idp.mint({ 'cognito:groups': ['subscribers'] }));
    for (const call of [r.playback, r.turn, r.room]) expect(call).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
    // The preflight stopped the browser: no POST ever reached a route's handler.
    expect(handled()).toBe(before);
  });
});
