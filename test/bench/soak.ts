/**
 * `npm run soak`: a bounded run of the local server (bin/serve.ts, what `npm start` runs) on
 * loopback at a fixed concurrency, with the playback key read through the real SDK from a
 * loopback Secrets Manager and refreshed every 5 s meanwhile. Not part of `npm test`.
 *
 * Prints: requests, errors (must be zero: any non-2xx, network error or token that does not
 * verify), latency p50/p90/p99/max, and the server's RSS and heap after a full GC at the end
 * of the warm-up and at the end of the run. Exit code 1 on any error or memory growth over
 * the bounds below.
 *
 *   SOAK_SECONDS (default 60), SOAK_CONCURRENCY (default 16)
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { devConfig } from '../../lambda/config/schema';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';
import { writeTempFile } from '../support/local-server';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 16);
const WARMUP_SECONDS = Math.min(10, Math.max(1, Math.round(SECONDS / 6)));
/** Bounds on growth between the end of the warm-up and the end of the run (after a full GC). */
const MAX_HEAP_GROWTH_MB = 8;
const MAX_RSS_GROWTH_MB = 48;
/** Verify one token in this many (verification costs the load generator CPU). */
const VERIFY_EVERY = 20;

type Mem = NodeJS.MemoryUsage;
const mb = (n: number) => (n / 2 ** 20).toFixed(1);

async function main() {
  const keys = p384KeyPair();
  const secretId = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:soak-playback-AbCdEf';
  const sm = await fakeSecretsManager({ [secretId]: { string: keys.pkcs8Pem } });
  const turnSecret = randomBytes(24).toString('base64url');
  const lk = { key: 'APIsoak', secret: randomBytes(32).toString('base64url') };
  const base = devConfig();
  const config = { ...base, secrets: { maxAgeSeconds: 5, maxStaleSeconds: 600 } };

  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', '--import', './test/bench/soak-probe.ts', 'bin/serve.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'INFO', // as deployed: one log line per request
      TOKEN_VENDING_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'tv-soak-')),
      CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      PLAYBACK_KEY_SECRET_ID: secretId,
      TURN_STATIC_AUTH_SECRET: turnSecret,
      LIVEKIT_API_KEY: lk.key,
      LIVEKIT_API_SECRET: lk.secret,
      NODE_OPTIONS: '--unhandled-rejections=warn',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let logTail = '';
  let logBytes = 0;
  let badLines = 0;
  const onOutput = (d: Buffer) => {
    const text = d.toString();
    logBytes += text.length;
    badLines += (text.match(/"level":"(ERROR|WARN)"|UnhandledPromiseRejection/g) ?? []).length;
    logTail = (logTail + text).slice(-4000);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logTail}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(logTail);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${logTail}`)));
  });
  const memory = () =>
    new Promise<Mem>((resolve) => {
      child.once('message', (m: { type: string } & Mem) => resolve(m));
      child.send('mem');
    });

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const routes = [
    { path: '/v1/playback-tokens', body: JSON.stringify({ channel: 'demo' }), origin: 'http://localhost:3000' },
    { path: '/v1/playback-tokens', body: JSON.stringify({ channel: 'demo', singleUse: true }) },
    { path: '/v1/turn-credentials', body: '' },
    { path: '/v1/room-tokens', body: JSON.stringify({ room_name: 'demo', participant_name: 'Soak' }) },
  ];
  const post = (r: (typeof routes)[number]) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(r.body)) };
      if (r.origin) headers.origin = r.origin;
      const req = request(url + r.path, { method: 'POST', headers, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(r.body);
    });
  const verify = async (path: string, body: string) => {
    const out = JSON.parse(body) as Record<string, string>;
    if (path === '/v1/playback-tokens') await jwtVerify(out.token!, keys.publicKey, { algorithms: ['ES384'] });
    else if (path === '/v1/room-tokens') await new TokenVerifier(lk.key, lk.secret).verify(out.participant_token!);
    else if (out.password !== createHmac('sha1', turnSecret).update(out.username!).digest('base64')) throw new Error('TURN password does not recompute');
  };

  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const fail = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);
  let n = 0;
  let measuring = false;
  const started = Date.now();
  const endAt = started + SECONDS * 1000;
  const warmEnd = started + WARMUP_SECONDS * 1000;
  const worker = async (w: number) => {
    for (let i = w; Date.now() < endAt; i += CONCURRENCY) {
      const r = routes[i % routes.length]!;
      const t0 = performance.now();
      try {
        const res = await post(r);
        const ms = performance.now() - t0;
        if (measuring) latencies.push(ms);
        n++;
        if (res.status !== 200 && res.status !== 201) fail(`HTTP ${res.status}`);
        else if (n % VERIFY_EVERY === 0) await verify(r.path, res.body).catch((e: unknown) => fail(`verify: ${(e as Error).message}`));
      } catch (e) {
        fail(`network: ${(e as Error).message}`);
      }
    }
  };

  console.log(`soak: ${SECONDS} s at concurrency ${CONCURRENCY} against ${url} (warm-up ${WARMUP_SECONDS} s; key refreshed from Secrets Manager every 5 s)`);
  const load = Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  await new Promise((r) => setTimeout(r, warmEnd - Date.now()));
  const before = await memory();
  const nAtWarm = n;
  measuring = true;
  const timeline: string[] = [];
  const sampler = setInterval(() => {
    void memory().then((m) => timeline.push(`${Math.round((Date.now() - started) / 1000)}s ${mb(m.rss)}/${mb(m.heapUsed)}`));
  }, 10_000);
  await load;
  clearInterval(sampler);
  const after = await memory();
  const measuredSeconds = (Date.now() - warmEnd) / 1000;
  const smCalls = sm.getSecretValueCalls(secretId);

  child.kill('SIGTERM');
  await sm.close();
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  const heapGrowth = (after.heapUsed - before.heapUsed) / 2 ** 20;
  const rssGrowth = (after.rss - before.rss) / 2 ** 20;
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0) + badLines;
  console.log(`requests:  ${n} (${Math.round((n - nAtWarm) / measuredSeconds)}/s after warm-up), ${smCalls} GetSecretValue calls, ${mb(logBytes)} MB of logs`);
  console.log(`errors:    ${errorCount === 0 ? '0 (ok)' : `${errorCount} ${JSON.stringify(Object.fromEntries(errors))} warn/error log lines: ${badLines}`}`);
  console.log(`latency:   p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms (${latencies.length} requests after warm-up)`);
  console.log(`memory:    rss ${mb(before.rss)} -> ${mb(after.rss)} MB (${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)}, bound ${MAX_RSS_GROWTH_MB}), heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB (${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)}, bound ${MAX_HEAP_GROWTH_MB}), after full GC`);
  console.log(`timeline:  ${timeline.join(', ')} (rss/heap MB, after GC)`);
  const ok = errorCount === 0 && heapGrowth <= MAX_HEAP_GROWTH_MB && rssGrowth <= MAX_RSS_GROWTH_MB;
  console.log(ok ? 'soak: ok' : 'soak: FAILED');
  if (!ok && badLines) console.log(logTail);
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
