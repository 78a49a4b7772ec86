/**
 * The key lifecycle's deployed artifacts: the esbuild bundles of the custom-resource,
 * rotation, JWKS and viewer-revocation functions, imported and invoked with exactly the
 * environment the stack gives them, against loopback Secrets Manager and IVS through the
 * real SDK (`@aws-sdk/*` external, as on the nodejs24.x runtime).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsKeys, type FakeIvsKeys } from '../support/fake-ivs-keys';
import { fakeSecretsRotation, type FakeSecretsRotation } from '../support/fake-secrets-rotation';

const OUTDIR = resolve('cdk.out/key-bundle-test');
const CHANNEL = 'arn:aws:ivs:eu-west-1:123456789012:channel/BundleChannel';
const KEY = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:managed-key-AbCdEf';
const PEPPER = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pepper-AbCdEf';
const config = parseConfig({
  channels: [{ id: 'demo', arn: CHANNEL, playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  playback: { viewerId: true, ttlSeconds: { default: 300, min: 30, max: 600 } },
  entitlements: [{ name: 'all', channels: ['*'], revokeViewers: true }],
  auth: { type: 'jwt', issuer: 'https://idp.example.com', audience: ['app'] },
});

let sm: FakeSecretsRotation;
let ivs: FakeIvsKeys;
let stack: TokenVendingStack;
const saved = { ...process.env };

beforeAll(async () => {
  [sm, ivs] = await Promise.all([fakeSecretsRotation(), fakeIvsKeys()]);
  sm.create(KEY, randomBytes(24).toString('base64url'));
  sm.create(PEPPER, randomBytes(32).toString('base64url'));
  Object.assign(process.env, FAKE_AWS_ENV, { AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, AWS_ENDPOINT_URL_IVS: ivs.url, POWERTOOLS_LOG_LEVEL: 'SILENT' });
  const app = new App({ outdir: OUTDIR });
  stack = new TokenVendingStack(app, 'KeyBundles', { config });
  app.synth();
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([sm?.close(), ivs?.close()]);
  rmSync(OUTDIR, { recursive: true, force: true });
});

/** Import a function's bundle with the environment the stack gives it; created secrets point at their loopback copies. */
async function deployed(fn: LambdaFunction, name: string) {
  const asset = fn.node.findChild('Code') as Asset;
  const env = (stack.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, unknown> }).variables;
  for (const k of Object.keys(process.env)) if (/_SECRET_ID$|^TOKEN_VENDING_CONFIG$|^KEY_/.test(k)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) process.env[k] = typeof v === 'string' ? v : k === 'PLAYBACK_KEY_SECRET_ID' ? KEY : PEPPER;
  const mod = await import(`${pathToFileURL(join(OUTDIR, asset.assetPath, 'index.mjs')).href}?${name}`);
  return mod.handler as (e: unknown) => Promise<any>;
}

const request = (method: string, path: string, body?: unknown) => ({
  version: '2.0', routeKey: `${method} ${path}`, rawPath: path, rawQueryString: '', headers: { 'content-type': 'application/json' },
  requestContext: { requestId: 'r', http: { method, path }, authorizer: { jwt: { claims: { sub: 'viewer-7', iss: 'https://idp.example.com' } } } },
  body: body === undefined ? undefined : JSON.stringify(body), isBase64Encoded: false,
});

describe('the deployed key-lifecycle bundles', () => {
  it('custom resource, rotation, JWKS, playback and revocation work together from their bundles', async () => {
    const key = stack.managedKey!;
    const created = await (await deployed(key.resourceFunction.fn, 'resource'))({
      RequestType: 'Create', RequestId: 'r1',
      ResourceProperties: { ServiceToken: 'x', SecretArn: KEY, Regions: key.regions, GraceSeconds: '4500' },
    });
    expect(created.Data.KeyPairArns).toMatch(/^arn:aws:ivs:eu-west-1:/);
    expect(ivs.keyPairs('eu-west-1')).toHaveLength(1);

    const rotate = await deployed(key.rotationFunction.fn, 'rotation');
    expect(process.env.KEY_REGIONS).toBe('eu-west-1');
    const token = sm.startRotation(KEY);
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await rotate({ Step, SecretId: KEY, ClientRequestToken: token });
    expect(Object.entries(sm.stages(KEY)).find(([, s]) => s.includes('AWSCURRENT'))![0]).toBe(token);
    expect(ivs.keyPairs('eu-west-1')).toHaveLength(2);

    const jwks = await (await deployed(stack.api.functions.jwks!.fn, 'jwks'))(request('GET', '/.well-known/jwks.json'));
    expect(jwks.statusCode, jwks.body).toBe(200);
    expect(JSON.parse(jwks.body).keys).toHaveLength(2);

    const minted = await (await deployed(stack.api.functions['playback-tokens']!.fn, 'playback'))(request('POST', '/v1/playback-tokens', { channel: 'demo' }));
    expect(minted.statusCode, minted.body).toBe(200);
    const revoked = await (await deployed(stack.api.functions['viewer-revocations']!.fn, 'revocation'))(
      request('POST', '/v1/viewer-revocations', { channel: 'demo', subject: 'viewer-7' }),
    );
    expect(revoked.statusCode, revoked.body).toBe(202);
    expect(ivs.revocations.at(-1)).toMatchObject({ channelArn: CHANNEL, viewerId: decodeJwt(JSON.parse(minted.body).token)['aws:viewer-id'] });
  });
});
