/**
 * The dev-mode demo page of `npm start`, in a real Chromium (Debian's `chromium`, driven by
 * playwright-core as in cors.e2e.test.ts): it shows a tokenized playback URL whose token
 * verifies against the public key (ES384 pinned), hands it to the IVS web player, shows the
 * ICE servers and a room token's grants. Screenshot: artifacts/demo-page.png (gitignored).
 * Without dev mode there is no page; /openapi.json is served either way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devConfig } from '../../lambda/config/schema';
import { p384KeyPair } from '../support/keys';
import { jsonOf, startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
if (!chromiumInstalled && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
if (!chromiumInstalled) console.warn("SKIPPED: the demo page test needs Debian's chromium (apt-get install chromium)");

export const SCREENSHOT = 'artifacts/demo-page.png';
const LK = { key: 'APIdemo', secret: 'demo-test-secret-that-is-long-enough-0123' };
const keys = p384KeyPair();
const dev = devConfig();

/** A port nobody listens on now: the page's origin must be in origins.allow before the server starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

let api: LocalServer;
let origin: string;
beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  // The dev config (what `npm start` serves without one), with this port's origin allowed.
  const config = { ...dev, origins: { ...dev.origins, allow: [origin] } };
  api = await startLocalServer({
    PORT: String(port),
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', keys.pkcs8Pem),
    LIVEKIT_API_KEY: LK.key,
    LIVEKIT_API_SECRET: LK.secret,
  });
});
afterAll(async () => api?.stop());

describe.skipIf(!chromiumInstalled)('the demo page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);
  afterAll(async () => browser?.close());

  it('shows a playback URL whose token verifies, hands it to the IVS player, and shows the ICE servers and a room token', async () => {
    const page = await browser.newPage({ viewport: { width: 1220, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const apiCalls: string[] = [];
    // What the IVS player asks the (offline) playback host for: answered with a network error.
    const playerFetches: string[] = [];
    await page.context().route(`${new URL(dev.channels[0]!.playbackUrl!).origin}/**`, (route) => {
      playerFetches.push(route.request().url());
      return route.abort('internetdisconnected');
    });
    page.on('request', (r) => r.url().startsWith(`${origin}/v1/`) && apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    try {
      await page.goto(`${api.url}/`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
      const text = async (id: string) => (await page.textContent(`#${id}`))!.trim();

      // Playback: the tokenized URL, as the player gets it.
      const url = new URL(await text('playback-url'));
      expect(`${url.origin}${url.pathname}`).toBe(dev.channels[0]!.playbackUrl);
      const token = url.searchParams.get('token')!;
      const { payload, protectedHeader } = await jwtVerify(token, keys.publicKey, { algorithms: ['ES384'] });
      expect(protectedHeader).toEqual({ alg: 'ES384', typ: 'JWT' });
      expect(payload['aws:channel-arn']).toBe(dev.channels[0]!.arn);
      expect(payload['aws:access-control-allow-origin']).toBe(origin); // the page's own origin
      expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(dev.playback.ttlSeconds.default);
      expect(JSON.parse(await text('playback-claims')).payload).toEqual(payload);
      // The IVS web player was created and given the URL (offline it cannot play, and says so).
      expect(await text('player-status')).toMatch(/^IVS web player: /);
      await page.waitForFunction(() => !document.getElementById('player-status')!.textContent!.includes('loading'), null, { timeout: 25_000 });
      expect(await text('player-status')).toMatch(/^IVS web player: cannot play/);
      // The player fetched the multivariant playlist with our token (it adds its own parameters).
      const fetched = playerFetches.map((f) => new URL(f)).find((f) => f.pathname === url.pathname);
      expect(fetched?.searchParams.get('token'), 'the player requested the playlist with the token').toBe(token);

      // ICE servers: STUN without credentials, TURN with them, from the dev config's URIs.
      const ice = JSON.parse(await text('ice-servers')) as { urls: string[]; username?: string; credential?: string }[];
      expect(ice.flatMap((s) => s.urls)).toEqual(dev.turn!.uris);
      expect(ice.find((s) => s.username)).toMatchObject({ username: expect.stringMatching(/^\d+:/), credential: expect.any(String) });

      // Room token: the grants of the room policy, and the E2EE key's presence (not its value).
      expect(JSON.parse(await text('room-grants'))).toMatchObject({ room: 'demo-e2ee', roomJoin: true, canPublish: true });
      expect(await text('room-e2ee')).toMatch(/^present \(32 bytes/);
      expect(await text('room-server')).toBe(dev.livekit!.url);

      expect(apiCalls.sort()).toEqual(['POST /v1/playback-tokens', 'POST /v1/room-tokens', 'POST /v1/turn-credentials']);
      expect(pageErrors).toEqual([]);
      mkdirSync('artifacts', { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Every start fetches a fresh token: the button asks again, and the URL changes.
      await page.click('#play');
      await page.waitForFunction((old) => document.getElementById('playback-url')!.textContent !== old, url.href);
      const again = new URL(await text('playback-url')).searchParams.get('token')!;
      expect(again).not.toBe(token);
      await jwtVerify(again, keys.publicKey, { algorithms: ['ES384'] });
    } finally {
      await page.close();
    }
  }, 90_000);

  it('shows a refusal with its code instead of a URL', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${api.url}/`);
      await page.waitForSelector('body[data-state="ready"]');
      await page.fill('#channel', 'no-such-channel');
      await page.click('#play');
      await page.waitForFunction(() => document.getElementById('playback-url')!.textContent!.includes('not_entitled'));
      expect(await page.textContent('#playback-url')).toMatch(/^403 not_entitled: /);
    } finally {
      await page.close();
    }
  });
});

describe('local conveniences', () => {
  it('serve the checked-in OpenAPI document at GET /openapi.json', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync('openapi.json', 'utf8'));
  });

  it('have no demo page outside dev mode (here: a config with auth "none"), as the deployed API has none', async () => {
    const noneAuth = await startLocalServer({
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify({ ...dev, auth: { type: 'none', acknowledge: 'anyone who can reach the API can mint tokens' } })),
      PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', keys.pkcs8Pem),
    });
    try {
      for (const path of ['/', '/demo/demo.js']) {
        const res = await fetch(noneAuth.url + path);
        expect(res.status, path).toBe(404);
        expect((await jsonOf(res)).code).toBe('not_found');
      }
      expect((await fetch(`${noneAuth.url}/openapi.json`)).status).toBe(200);
    } finally {
      await noneAuth.stop();
    }
  });

  it('leave the API routes to the handlers: the room route still answers LiveKit-verifiable tokens', async () => {
    const res = await api.post('/v1/room-tokens', { room_name: 'demo' });
    expect(res.status).toBe(201);
    const claims = await new TokenVerifier(LK.key, LK.secret).verify((await jsonOf(res)).participant_token);
    expect(claims.video?.room).toBe('demo');
  });
});
