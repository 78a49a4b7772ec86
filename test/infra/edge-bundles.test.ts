/**
 * Behind the edge, the bundle `cdk deploy` would upload refuses a request that went around
 * CloudFront: the playback function's esbuild bundle, with exactly the environment the stack
 * gives it (EDGE_ORIGIN_SECRET_ID by name), reads the origin-verify secret through the real
 * AWS SDK from a loopback Secrets Manager and checks the header before anything else.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { ORIGIN_VERIFY_HEADER } from '../../lambda/http/edge';
import { addTokenVendingStacks, type TokenVendingStacks } from '../../lib/token-vending-app';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';

const OUTDIR = resolve('cdk.out/edge-bundle-test'); // inside the project, so `@aws-sdk/*` resolves as on Lambda
const keys = p384KeyPair();
const playbackArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:playback-AbCdEf';
const origin = { current: randomBytes(32).toString('base64url'), previous: randomBytes(32).toString('base64url') };

let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
let stacks: TokenVendingStacks;
const saved = { ...process.env };

beforeAll(async () => {
  sm = await fakeSecretsManager({
    [playbackArn]: { string: keys.sec1Pem },
    // The replica in the API's region, found by the name the edge stack gives the secret.
    'EdgeBundles/edge-origin-verify': { string: JSON.stringify(origin) },
  });
  Object.assign(process.env, FAKE_AWS_ENV, { AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, POWERTOOLS_LOG_LEVEL: 'SILENT' });
  const app = new App({ outdir: OUTDIR });
  const config = parseConfig({
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    playback: { signingKeySecretArn: playbackArn },
    entitlements: [{ name: 'all', channels: ['*'] }],
    auth: { type: 'jwt', issuer: 'https://idp.example.com', audience: ['app'] },
    edge: {},
  });
  stacks = addTokenVendingStacks(app, 'EdgeBundles', config, { account: '123456789012', region: 'eu-west-1' });
  app.synth();
}, 120_000);
afterAll(async () => {
  process.env = saved;
  await sm?.close();
  rmSync(OUTDIR, { recursive: true, force: true });
});

async function deployedPlayback() {
  const fn = stacks.api.api.functions['playback-tokens']!.fn;
  const asset = fn.node.findChild('Code') as Asset;
  const env = (stacks.api.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, string> }).variables;
  for (const k of Object.keys(process.env)) if (/_SECRET_ID$|^TOKEN_VENDING_CONFIG$/.test(k)) delete process.env[k];
  Object.assign(process.env, env);
  const mod = await import(pathToFileURL(join(OUTDIR, asset.assetPath, 'index.mjs')).href);
  return mod.handler as (e: unknown) => Promise<any>;
}

const event = (headers: Record<string, string>) => ({
  version: '2.0', routeKey: 'POST /v1/playback-tokens', rawPath: '/v1/playback-tokens', rawQueryString: '',
  headers: { 'content-type': 'application/json', ...headers },
  requestContext: { requestId: 'r', http: { method: 'POST', path: '/v1/playback-tokens' }, authorizer: { jwt: { claims: { sub: 'user-1', iss: 'https://idp.example.com' } } } },
  body: JSON.stringify({ channel: 'demo' }), isBase64Encoded: false,
});

describe('the deployed playback bundle behind the edge', () => {
  it('refuses a signed-in caller who went around CloudFront, and serves one who came through it', async () => {
    const handler = await deployedPlayback();
    const direct = await handler(event({}));
    expect(direct.statusCode).toBe(403);
    expect(JSON.parse(direct.body)).toMatchObject({ code: 'edge_required' });
    expect((await handler(event({ [ORIGIN_VERIFY_HEADER]: 'x'.repeat(43) }))).statusCode).toBe(403);

    for (const value of [origin.current, origin.previous]) {
      const res = await handler(event({ [ORIGIN_VERIFY_HEADER]: value }));
      expect(res.statusCode, res.body).toBe(200);
      await expect(jwtVerify(JSON.parse(res.body).token, keys.publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
    }
    expect(sm.calls.filter((c) => c.body.SecretId === 'EdgeBundles/edge-origin-verify').length).toBe(1); // read once, cached
  });
});
