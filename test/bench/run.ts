/**
 * `npm run bench` (a table) or `npm run bench -- --json` (only `{"rows": [...]}` on stdout):
 * what our functions cost over what they cannot avoid, every figure against a baseline measured
 * in the same run (README "Performance" explains each row).
 *
 * - warm, in process, interleaved: the handlers (event in, response out, key cached) against
 *   raw `crypto.sign` ES384, jsonwebtoken handed the PEM (the IVS blog), LiveKit's own SDK and
 *   a bare HMAC-SHA1; the signers alone; 10,000 channels against one (worker threads);
 * - cold: the bundles CDK builds, each started in a new process against a loopback Secrets
 *   Manager, against the IVS blog's function and an empty handler built the same way;
 * - the local server over HTTP with 32 connections, against the raw signing rate;
 * - GetSecretValue calls of one container over 10,000 tokens.
 */
import './quiet';
import { createHmac, createSecretKey, randomBytes, sign } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import jwt from 'jsonwebtoken';
import { AccessToken } from 'livekit-server-sdk';
import { devConfig, parseConfig } from '../../lambda/config/schema';
import { playbackClaims, signPlaybackToken } from '../../lambda/tokens/playback';
import { turnCredentials } from '../../lambda/tokens/turn';
import { roomTokenClaims, signRoomToken } from '../../lambda/tokens/room';
import { p384KeyPair } from '../support/keys';
import { startLocalServer, writeTempFile } from '../support/local-server';
import { coldBench, type ColdSample } from './cold-start';
import { measure, measureInterleaved, median, printTable, reportedRow, throughputRow, costRow, type BenchResult, type Row } from './harness';
import { httpLoad } from './http-load';

/** `npm run bench -- --json`: only `{"rows": [...]}` on stdout; progress goes to stderr either way. */
const JSON_OUT = process.argv.includes('--json');
const COLD_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 11);
const benchStarted = performance.now();
const progress = (what: string) => process.stderr.write(`bench: ${what} (${((performance.now() - benchStarted) / 1000).toFixed(0)} s)\n`);

const keys = p384KeyPair();
const config = devConfig();
const channelArn = config.channels[0]!.arn;
const claims = () => playbackClaims({ channelArn, now: new Date(), ttlSeconds: 300, allowOrigin: 'https://watch.example.com' });

const header = Buffer.from(JSON.stringify({ alg: 'ES384', typ: 'JWT' })).toString('base64url');
const rawSign = () => {
  const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
  return `${input}.${sign('sha384', Buffer.from(input), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};

process.env.TOKEN_VENDING_CONFIG = JSON.stringify(config);
process.env.PLAYBACK_PRIVATE_KEY_FILE = writeTempFile('bench-key.pem', keys.pkcs8Pem);
process.env.PSEUDONYM_PEPPER_FILE = writeTempFile('bench-pepper', randomBytes(32).toString('base64url'));
const turnSecret = randomBytes(32).toString('base64url');
process.env.TURN_STATIC_AUTH_SECRET = turnSecret;
const { handler } = await import('../../lambda/handlers/playback-tokens');
const { handler: turnHandler } = await import('../../lambda/handlers/turn-credentials');
const lkSecret = randomBytes(30).toString('base64url');
process.env.LIVEKIT_API_KEY = 'APIbench';
process.env.LIVEKIT_API_SECRET = lkSecret;
process.env.LIVEKIT_E2EE_SECRET_FILE = writeTempFile('bench-e2ee', randomBytes(32).toString('base64url'));
const { handler: roomHandler } = await import('../../lambda/handlers/room-tokens');
const event = {
  version: '2.0', routeKey: 'POST /v1/playback-tokens', rawPath: '/v1/playback-tokens', rawQueryString: '',
  headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
  requestContext: { requestId: 'bench', http: { method: 'POST', path: '/v1/playback-tokens' }, authorizer: { jwt: { claims: { sub: 'bench-user', iss: 'urn:bench' }, scopes: [] } } },
  body: JSON.stringify({ channel: 'demo' }), isBase64Encoded: false,
} as unknown as Parameters<typeof handler>[0];
const turnEvent = { ...event, routeKey: 'POST /v1/turn-credentials', rawPath: '/v1/turn-credentials', body: undefined, headers: {} } as typeof event;
const roomEvent = { ...event, routeKey: 'POST /v1/room-tokens', rawPath: '/v1/room-tokens', body: JSON.stringify({ room_name: 'demo', participant_name: 'Bench' }) } as typeof event;
for (const [h, e] of [[handler, event], [turnHandler, turnEvent], [roomHandler, roomEvent]] as const) {
  const first = await h(e);
  if (first.statusCode !== 200 && first.statusCode !== 201) throw new Error(`handler answered ${first.statusCode}: ${first.body}`);
}

// LiveKit baseline: LiveKit's own server SDK minting the same grant.
const demoPolicy = config.livekit!.roomPolicies[0]!;
const lkKey = createSecretKey(Buffer.from(lkSecret));
const sdkRoomToken = () => {
  const at = new AccessToken('APIbench', lkSecret, { identity: 'bench-user', name: 'Bench', ttl: 900 });
  at.addGrant({ room: 'demo', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false });
  return at.toJwt();
};

// TURN baseline: the bare HMAC-SHA1 over "<expiry>:<user>" with the string secret.
const turnKey = createSecretKey(Buffer.from(turnSecret));
const rawTurn = () => {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:bench-user-id`;
  return { username, password: createHmac('sha1', turnSecret).update(username).digest('base64') };
};
const turnUris = config.turn!.uris;

const [baseline, ours, pem, full, turnBase, turnOurs, turnFull, lkSdk, roomOurs, roomFull] = await measureInterleaved([
  { name: 'raw crypto.sign ES384', fn: rawSign },
  { name: 'signPlaybackToken (KeyObject)', fn: () => signPlaybackToken(claims(), keys.privateKey) },
  { name: 'jsonwebtoken with the PEM string each call (the IVS blog)', fn: () => jwt.sign(claims(), keys.pkcs8Pem, { algorithm: 'ES384', noTimestamp: true }) },
  { name: 'playback handler, warm', fn: () => handler(event) },
  { name: 'raw HMAC-SHA1 + base64', fn: rawTurn },
  {
    name: 'turnCredentials (KeyObject)',
    fn: () => turnCredentials({ userId: 'bench-user-id', now: new Date(), ttlSeconds: 3600, key: turnKey, uris: turnUris }),
  },
  { name: 'TURN handler, warm', fn: () => turnHandler(turnEvent) },
  { name: 'livekit-server-sdk AccessToken.toJwt', fn: sdkRoomToken },
  {
    name: 'signRoomToken (KeyObject)',
    fn: () =>
      signRoomToken(roomTokenClaims({ apiKey: 'APIbench', identity: 'bench-user', room: 'demo', policy: demoPolicy, now: new Date(), ttlSeconds: 900, name: 'Bench' }), lkKey),
  },
  { name: 'room handler, warm', fn: () => roomHandler(roomEvent) },
]);
progress('warm handlers measured');

// Channels at scale: the whole playback handler asked for the last of 10,000 configured
// channels (each listed by id in the entitlement) against the same with one channel. Each
// runs in its own worker thread: its own module graph, so its own once-per-container config.
const scaleConfig = (n: number) =>
  JSON.stringify(
    parseConfig({
      channels: Array.from({ length: n }, (_, i) => ({
        id: `ch-${i}`,
        arn: `arn:aws:ivs:us-east-1:123456789012:channel/Ch${String(i).padStart(8, '0')}`,
        playbackUrl: `https://0123456789ab.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123456789012.channel.Ch${i}.m3u8`,
      })),
      entitlements: [{ name: 'listed', channels: Array.from({ length: n }, (_, i) => `ch-${i}`) }],
    }),
  );
const inWorker = (name: string, n: number) =>
  new Promise<{ warm: BenchResult; firstMs: number }>((resolve, reject) => {
    // A worker does not inherit tsx's loader: register it, then load the TypeScript case.
    const entry = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./channels-worker.ts', import.meta.url).href)}); })`;
    const w = new Worker(entry, {
      eval: true,
      workerData: { name, config: scaleConfig(n), channel: `ch-${n - 1}`, keyFile: process.env.PLAYBACK_PRIVATE_KEY_FILE },
    });
    w.once('message', (m: { warm: BenchResult; firstMs: number }) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
const oneChannel = await inWorker('playback handler, 1 channel', 1);
const manyChannels = await inWorker('playback handler, last of 10,000 channels', 10_000);

// Cold starts of the deployed bundles (test/bench/cold-start.ts): interleaved rounds, one new
// process per sample, every function and both baselines in each round.
const cold = await coldBench();
progress('bundles synthesized');
const coldSamples = new Map<string, ColdSample[]>(cold.targets.map((t) => [t.name, []]));
for (let r = 0; r < COLD_ROUNDS; r++) {
  for (const t of cold.targets) {
    const s = await cold.run(t);
    if (s.status >= 500) throw new Error(`cold start of ${t.name} answered ${s.status}`);
    coldSamples.get(t.name)!.push(s);
  }
}
const coldMs = (name: string) => median(coldSamples.get(name)!.map((s) => s.wallMs));
const naiveMs = coldMs('baseline:naive');
const naiveDefaultMs = coldMs('baseline:naive-default');
/** Median over rounds of subject / baseline in the same round (adjacent in time: robust to a busy machine). */
const coldRatio = (name: string, base: string) =>
  median(coldSamples.get(name)!.map((s, i) => s.wallMs / coldSamples.get(base)![i]!.wallMs));
const coldCpu = (name: string) => median(coldSamples.get(name)!.map((s) => s.cpuMs));
const emptyMs = coldMs('baseline:empty');
progress('cold starts measured');

// GetSecretValue per 10,000 tokens: the deployed playback bundle, one container, 10,000 requests.
const playbackTarget = cold.targets.find((t) => t.name === 'playback-tokens')!;
const callsBefore = cold.getSecretValueCalls(cold.playbackKeySecretArn);
const many = await cold.run(playbackTarget, 10_000);
if (many.failed) throw new Error(`${many.failed} of 10,000 playback requests failed`);
const smCalls = cold.getSecretValueCalls(cold.playbackKeySecretArn) - callsBefore;
const windows = Math.ceil((many.firstMs + many.restMs) / 1000 / cold.maxAgeSeconds);
await cold.close();
progress('secret calls counted');

// The local server over HTTP, against the raw signing rate measured in between (same run).
const server = await startLocalServer({ POWERTOOLS_LOG_LEVEL: 'INFO' });
const load = () =>
  httpLoad(server.url, { path: '/v1/playback-tokens', body: JSON.stringify({ channel: 'demo' }), headers: { origin: 'http://localhost:3000' }, connections: 32, durationMs: 2_000 });
await load(); // warm-up: JIT, key and config caches, sockets
const rawRates: BenchResult[] = [];
const loads: Awaited<ReturnType<typeof load>>[] = [];
for (let r = 0; r < 3; r++) {
  rawRates.push(await measure('raw crypto.sign ES384 (this section)', rawSign, { rounds: 3, minMs: 200 }));
  loads.push(await load());
}
await server.stop();
const rawRate = { ...rawRates[0]!, opsPerSec: median(rawRates.map((x) => x.opsPerSec)) };
const httpRps = median(loads.map((l) => l.rps));
const httpErrors = loads.reduce((n, l) => n + l.errors, 0);
if (httpErrors) throw new Error(`${httpErrors} HTTP requests failed`);
progress('HTTP measured');

const FUNCTIONS = ['playback-tokens', 'turn-credentials', 'room-tokens', 'not-found'];
const rows: Row[] = [
  throughputRow(full, baseline, 0.9),
  throughputRow(full, pem, 1.5),
  throughputRow(roomFull, lkSdk, 1.2),
  throughputRow(turnFull, turnBase, 0.25),
  // Kept from the first bench: the signers alone, and the whole TURN request against one ES384 signature.
  throughputRow(ours, baseline, 1 / 1.2),
  throughputRow(turnOurs, turnBase, 1 / 3),
  throughputRow(turnFull, baseline, 20, 'TURN handler, warm (against one ES384 signature)'),
  throughputRow(roomOurs, lkSdk, 1.0),
  // Map lookups: the number of channels must not show in the warm figure.
  throughputRow(manyChannels.warm, oneChannel.warm, 0.8),
  reportedRow('first request, 1 channel (config read + validate + index, key load)', oneChannel.firstMs, 'ms'),
  reportedRow(`first request, 10,000 channels (${(scaleConfig(10_000).length / 1e6).toFixed(1)} MB of config)`, manyChannels.firstMs, 'ms'),
  ...FUNCTIONS.flatMap((fn) => [
    costRow(`cold start: ${fn} (new process, import, first response)`, coldMs(fn), 'ms', { name: 'the IVS blog function (SDK v3 + jsonwebtoken with the PEM), bundled the same way', value: naiveMs }, 1.1, coldRatio(fn, 'baseline:naive')),
    costRow(`cold start: ${fn} (new process, import, first response)`, coldMs(fn), 'ms', { name: 'an empty handler', value: emptyMs }, 2.5, coldRatio(fn, 'baseline:empty')),
    reportedRow(`cold start: ${fn}, CPU time of the new process at the first response`, coldCpu(fn), 'ms'),
  ]),
  {
    ...costRow('cold start: playback-tokens (new process, import, first response)', coldMs('playback-tokens'), 'ms', { name: 'the IVS blog function as NodejsFunction deploys it by default (the runtime\'s SDK)', value: naiveDefaultMs }, 1.1, coldRatio('playback-tokens', 'baseline:naive-default')),
  },
  reportedRow('cold start: the IVS blog function bundled the same way, CPU time at the first response', coldCpu('baseline:naive'), 'ms'),
  reportedRow('cold start: the IVS blog function with the runtime\'s SDK, CPU time at the first response', coldCpu('baseline:naive-default'), 'ms'),
  reportedRow('cold start: an empty handler, CPU time at the first response', coldCpu('baseline:empty'), 'ms'),
  ...cold.targets.map((t) => reportedRow(`bundle size: ${t.name}`, t.bytes / 1024, 'KB')),
  throughputRow({ name: 'local server over HTTP, 32 connections', nsPerOp: 1e9 / httpRps, opsPerSec: httpRps }, rawRate, 0.75),
  reportedRow('local server over HTTP, 32 connections: p99 latency', median(loads.map((l) => l.p99Ms)), 'ms'),
  reportedRow('local server over HTTP, 32 connections: p50 latency', median(loads.map((l) => l.p50Ms)), 'ms'),
  {
    name: `GetSecretValue calls per 10,000 tokens (deployed playback bundle, one container, ${((many.firstMs + many.restMs) / 1000).toFixed(1)} s)`,
    value: smCalls,
    unit: 'calls',
    baseline: { name: `cache windows of ${cold.maxAgeSeconds} s elapsed`, value: windows, unit: 'windows' },
    ratio: smCalls / windows,
    target: '<= 1 per window',
    pass: smCalls <= windows,
  },
];
const ok = rows.every((r) => r.pass);
if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify({ rows })}\n`);
} else {
  printTable(rows);
  console.log('\nCold starts (median of %d, ms): wall = spawn to first response; import and first request inside the process', COLD_ROUNDS);
  for (const t of cold.targets) {
    const ss = coldSamples.get(t.name)!;
    console.log(`  ${t.name.padEnd(18)} wall ${coldMs(t.name).toFixed(0).padStart(4)}  import ${median(ss.map((s) => s.importMs)).toFixed(0).padStart(4)}  first request ${median(ss.map((s) => s.firstMs)).toFixed(0).padStart(4)}  bundle ${(t.bytes / 1024).toFixed(0)} KB`);
  }
  console.log(`\nPEM re-parse penalty avoided: ${(pem.nsPerOp / ours.nsPerOp).toFixed(2)}x`);
}
process.exit(ok ? 0 : 1);
