/**
 * The edge, end to end against the local server: the per-IP limit (emulated per socket
 * address, as WAF's rate-based rule counts per client IP) and the origin-verify check that
 * refuses requests which went around CloudFront (through the real SDK and a loopback Secrets
 * Manager). Two clients on one machine: Linux routes all of 127.0.0.0/8 to lo, so a socket
 * bound to 127.0.0.2 is another client address than one bound to 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER, RATE_LIMITED_PROBLEM } from '../../lambda/http/edge';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST a JSON body from a chosen local address. */
function postFrom(localAddress: string, url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const config = (edge: unknown) => ({
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  entitlements: [{ name: 'everyone', channels: ['*'] }],
  edge,
});

describe('the per-IP limit with edge on (local emulation of the WAF rate-based rule)', () => {
  let server: LocalServer;
  // 10 per 600 s: a token comes back every 60 s, so no refill can blur the count while the test runs.
  const LIMIT = 10;
  beforeAll(async () => {
    server = await startLocalServer({ CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config({ rateLimitPerIp: { requests: LIMIT, windowSeconds: 600 } }))) });
  });
  afterAll(() => server?.stop());

  it('answers 429 with the WAF problem body to the client over the limit while another client is still served', async () => {
    const mint = (from: string) => postFrom(from, server.url, '/v1/playback-tokens', { channel: 'demo' });
    for (let i = 0; i < LIMIT; i++) expect((await mint('127.0.0.2')).status).toBe(200);

    const refused = await mint('127.0.0.2');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual(RATE_LIMITED_PROBLEM);
    // What WAF sends: JSON (WAF has no problem+json content type), Retry-After = the window, readable cross-origin.
    expect(refused.headers['content-type']).toBe('application/json');
    expect(refused.headers['retry-after']).toBe('600');
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    expect(refused.headers['cache-control']).toBe('no-store');

    const other = await mint('127.0.0.1');
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body).token).toMatch(/^ey/);
    // And the limited client stays limited.
    expect((await mint('127.0.0.2')).status).toBe(429);
  });

  it('counts every request of a client, whatever the route or its outcome', async () => {
    const bad = (from: string) => postFrom(from, server.url, '/v1/nope', {});
    for (let i = 0; i < LIMIT; i++) expect((await bad('127.0.0.3')).status).toBe(404);
    expect((await bad('127.0.0.3')).status).toBe(429);
  });
});

describe('without edge', () => {
  it('has no per-client limit locally (only the stage throttle, which is not emulated)', async () => {
    const server = await startLocalServer({ CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config(undefined))) });
    try {
      for (let i = 0; i < 15; i++) expect((await postFrom('127.0.0.4', server.url, '/v1/playback-tokens', { channel: 'demo' })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('behind the edge, a request that went around CloudFront', () => {
  const NAME = 'Tv/edge-origin-verify';
  const current = 'c'.repeat(24) + Math.random().toString(36).slice(2).padEnd(24, 'x');
  const previous = 'p'.repeat(24) + Math.random().toString(36).slice(2).padEnd(24, 'y');
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  let server: LocalServer;
  beforeAll(async () => {
    sm = await fakeSecretsManager({ [NAME]: { string: JSON.stringify({ current, previous }) } });
    // What the stack sets on every HTTP function behind an edge (EDGE_ORIGIN_SECRET_ID, by name).
    server = await startLocalServer({
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      EDGE_ORIGIN_SECRET_ID: NAME,
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config({ rateLimitPerIp: { requests: 1000 } }))),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sm?.close();
  });
  const mint = (headers: Record<string, string> = {}) => postFrom('127.0.0.1', server.url, '/v1/playback-tokens', { channel: 'demo' }, headers);

  it('is refused with 403 problem+json, without the header or with a wrong value', async () => {
    const attempts: Record<string, string>[] = [{}, { [ORIGIN_VERIFY_HEADER]: 'guess' }, { [ORIGIN_VERIFY_HEADER]: current.slice(0, -1) }];
    for (const headers of attempts) {
      const res = await mint(headers);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ status: 403, code: 'edge_required' });
      expect(res.body).not.toContain(current);
    }
    // Unknown routes too: the check comes before anything else.
    expect((await postFrom('127.0.0.1', server.url, '/v1/nope', {})).status).toBe(403);
  });

  it('is served with the current value, and with the previous one during a rotation', async () => {
    expect((await mint({ [ORIGIN_VERIFY_HEADER]: current })).status).toBe(200);
    expect((await mint({ [ORIGIN_VERIFY_HEADER]: previous })).status).toBe(200);
    expect(sm.calls.some((c) => c.body.SecretId === NAME)).toBe(true);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
if (!chromiumInstalled && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

describe.skipIf(!chromiumInstalled)('a browser frontend with edge on', () => {
  let pages: Server;
  let api: LocalServer;
  let origin: string;
  beforeAll(async () => {
    pages = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>frontend</title>'));
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    origin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    api = await startLocalServer({
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify({ ...config({ rateLimitPerIp: { requests: 10, windowSeconds: 600 } }), origins: { allow: [origin] } })),
    });
  });
  afterAll(async () => {
    await api?.stop();
    await new Promise((r) => pages?.close(r));
  });

  it('keeps CORS working through the edge, and lets the page read the 429 and its Retry-After', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      const results = await page.evaluate(async (url) => {
        const out: { status?: number; code?: string; token?: boolean; retryAfter?: string | null; error?: string }[] = [];
        for (let i = 0; i < 15; i++) {
          try {
            const res = await fetch(`${url}/v1/playback-tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"channel":"demo"}' });
            const body = (await res.json()) as { code?: string; token?: unknown };
            out.push({ status: res.status, code: body.code, token: typeof body.token === 'string', retryAfter: res.headers.get('retry-after') });
          } catch (err) {
            out.push({ error: String(err) });
          }
        }
        return out;
      }, api.url);
      // The preflight (cached by the browser for max-age) and the first POSTs are served...
      expect(results[0]).toMatchObject({ status: 200, token: true });
      // ...then the page reads WAF's 429 instead of a CORS failure, with the exposed Retry-After.
      const limited = results.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]).toEqual({ status: 429, code: 'rate_limited', token: false, retryAfter: '600' });
      expect(results.filter((r) => r.error)).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
