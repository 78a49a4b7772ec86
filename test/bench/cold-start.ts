/**
 * Cold starts of the bundles `cdk deploy` would upload: the stack is synthesized to a temp
 * directory inside the project (so `@aws-sdk/*`, external as on the nodejs24.x runtime,
 * resolves from node_modules as it does from the runtime's own), together with two baseline
 * functions built by the same construct (lib/token-function.ts: one bundling definition).
 * Each sample is a new `node` process that imports one bundle and answers one event, its
 * secrets read through the real SDK from a loopback Secrets Manager (test/support/fake-aws.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { parseConfig } from '../../lambda/config/schema';
import { TokenFunction } from '../../lib/token-function';
import { TokenVendingStack } from '../../lib/token-vending-stack';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';

const arn = (n: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}-AbCdEf`;
const CHANNEL_ARN = 'arn:aws:ivs:us-east-1:123456789012:channel/Demo';
const PLAYBACK_URL = 'https://x.playback.live-video.net/api/video/v1/a.m3u8';

export interface ColdTarget {
  /** Handler name (`playback-tokens`...) or `baseline:naive`, `baseline:empty`. */
  name: string;
  bundle: string;
  bytes: number;
  env: Record<string, string>;
  event: unknown;
}

export interface ColdSample {
  /** Spawn to first response, as the parent sees it. */
  wallMs: number;
  importMs: number;
  firstMs: number;
  status: number;
  restMs: number;
  failed: number;
  /** CPU time of the new process (user + system, node's own boot included) at the first response. */
  cpuMs: number;
  cpuImportMs: number;
}

const httpEvent = (method: string, path: string, body?: unknown) => ({
  version: '2.0', routeKey: `${method} ${path}`, rawPath: path, rawQueryString: '',
  headers: { 'content-type': 'application/json', origin: 'https://watch.example.com' },
  requestContext: { requestId: 'cold', http: { method, path }, authorizer: { jwt: { claims: { sub: 'user-1', iss: 'https://idp.example.com' }, scopes: [] } } },
  body: body === undefined ? undefined : JSON.stringify(body), isBase64Encoded: false,
});

/** The functions measured, with the event of their first request. */
export const COLD_EVENTS: Record<string, unknown> = {
  'playback-tokens': httpEvent('POST', '/v1/playback-tokens', { channel: 'demo' }),
  'turn-credentials': httpEvent('POST', '/v1/turn-credentials', {}),
  'room-tokens': httpEvent('POST', '/v1/room-tokens', { room_name: 'demo' }),
  'not-found': { ...httpEvent('GET', '/v1/nothing-here'), routeKey: '$default' },
  'baseline:naive': httpEvent('POST', '/v1/playback-tokens', { channel: 'demo' }),
  'baseline:naive-default': httpEvent('POST', '/v1/playback-tokens', { channel: 'demo' }),
  'baseline:empty': httpEvent('POST', '/v1/playback-tokens', { channel: 'demo' }),
};

export async function coldBench(opts: { edge?: boolean } = {}) {
  const keys = p384KeyPair();
  const lk = { apiKey: 'APIcold', apiSecret: randomBytes(30).toString('base64url') };
  const sm = await fakeSecretsManager({
    [arn('playback')]: { string: keys.sec1Pem },
    [arn('turn')]: { string: JSON.stringify({ secrets: [randomBytes(24).toString('base64url')] }) },
    [arn('livekit')]: { string: JSON.stringify(lk) },
    [arn('e2ee')]: { string: randomBytes(32).toString('base64url') },
    [arn('created-PSEUDONYM_PEPPER_SECRET_ID')]: { string: randomBytes(32).toString('base64url') },
    [arn('created-EDGE_ORIGIN_SECRET_ID')]: { string: JSON.stringify({ current: randomBytes(32).toString('base64url') }) },
  });
  mkdirSync(resolve('cdk.out'), { recursive: true });
  const outdir = mkdtempSync(resolve('cdk.out', 'bench-')); // inside the project: `@aws-sdk/*` resolves
  const config = parseConfig({
    channels: [{ id: 'demo', arn: CHANNEL_ARN, playbackUrl: PLAYBACK_URL }],
    origins: { allow: ['https://watch.example.com'] },
    playback: { signingKeySecretArn: arn('playback') },
    turn: { uris: ['turn:turn.example.com:3478', 'turns:turn.example.com:5349?transport=tcp'], secretArn: arn('turn') },
    livekit: { url: 'wss://lk.example.com', credentialsSecretArn: arn('livekit'), e2eeSecretArn: arn('e2ee'), roomPolicies: [{ name: 'demo', rooms: ['demo'] }] },
    entitlements: [{ name: 'all', channels: ['*'], turn: true, roomPolicies: ['demo'] }],
    auth: { type: 'jwt', issuer: 'https://idp.example.com', audience: ['bench'] },
  });
  const app = new App({ outdir });
  const stack = new TokenVendingStack(app, 'ColdBench', { config });
  const baselines = new Stack(app, 'ColdBaselines');
  const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
  // Bundled the same way as our request-path functions (SDK inside, lib/token-vending-api.ts),
  // and as NodejsFunction deploys it by default (the runtime's SDK).
  const naive = new TokenFunction(baselines, 'Naive', { handler: 'naive', entry: here('./baselines/naive-playback.ts'), description: 'bench baseline: the IVS blog function', bundleAwsSdk: true });
  const naiveDefault = new TokenFunction(baselines, 'NaiveDefault', { handler: 'naive', entry: here('./baselines/naive-playback.ts'), description: 'bench baseline: the IVS blog function, SDK from the runtime' });
  const empty = new TokenFunction(baselines, 'Empty', { handler: 'empty', entry: here('./baselines/empty.ts'), description: 'bench baseline: an empty handler' });
  app.synth();

  const targetOf = (name: string, st: Stack, fn: TokenFunction['fn'], extraEnv: Record<string, string> = {}): ColdTarget => {
    const asset = fn.node.findChild('Code') as Asset;
    const bundle = join(outdir, asset.assetPath, 'index.mjs');
    const env = (st.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, unknown> }).variables;
    const strings: Record<string, string> = {};
    // A secret the stack creates resolves to {Ref}: point it at its loopback copy.
    for (const [k, v] of Object.entries(env)) strings[k] = typeof v === 'string' ? v : arn(`created-${k}`);
    return { name, bundle, bytes: statSync(bundle).size, env: { ...strings, ...extraEnv }, event: COLD_EVENTS[name] };
  };
  const targets: ColdTarget[] = Object.keys(COLD_EVENTS)
    .filter((n) => !n.startsWith('baseline:'))
    .map((n) => targetOf(n, stack, stack.api.functions[n]!.fn, opts.edge ? { EDGE_ORIGIN_SECRET_ID: arn('created-EDGE_ORIGIN_SECRET_ID') } : {}));
  const naiveEnv = { PLAYBACK_KEY_SECRET_ID: arn('playback'), CHANNEL_ARN, PLAYBACK_URL };
  targets.push(
    targetOf('baseline:naive', baselines, naive.fn, naiveEnv),
    targetOf('baseline:naive-default', baselines, naiveDefault.fn, naiveEnv),
    targetOf('baseline:empty', baselines, empty.fn),
  );

  const run = (t: ColdTarget, invocations = 1) => coldStart(t, sm.url, invocations);
  return {
    targets,
    run,
    getSecretValueCalls: sm.getSecretValueCalls,
    playbackKeySecretArn: arn('playback'),
    smUrl: sm.url,
    maxAgeSeconds: config.secrets.maxAgeSeconds,
    async close() {
      await sm.close();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}

const CHILD = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));

/** One new process: import the bundle, answer `invocations` events, exit. */
export function coldStart(t: ColdTarget, smUrl: string, invocations = 1): Promise<ColdSample> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CHILD, t.bundle], {
      env: {
        PATH: process.env.PATH,
        ...FAKE_AWS_ENV,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: smUrl,
        AWS_LAMBDA_FUNCTION_NAME: `bench-${t.name}`,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        NODE_ENV: 'production',
        ...t.env,
        BENCH_EVENT: JSON.stringify(t.event),
        BENCH_INVOKE: String(invocations),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let report = '';
    let wallMs = 0;
    let err = '';
    child.stdout!.resume(); // log lines, as Lambda would ship them
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.on('data', (d: Buffer) => {
      wallMs ||= performance.now() - started;
      report += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!report) return reject(new Error(`${t.name}: the cold process exited ${code} without an answer:\n${err}`));
      const r = JSON.parse(report) as Omit<ColdSample, 'wallMs'> & { bootMs: number };
      // The report is written after all invocations: for one, the first response is the report.
      resolvePromise({ ...r, wallMs: invocations === 1 ? wallMs : r.bootMs + r.importMs + r.firstMs });
    });
  });
}
