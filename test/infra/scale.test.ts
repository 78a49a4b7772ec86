/**
 * Channels at scale, in the synthesized stack: 10,000 configured channels synthesize, the
 * config travels in each function's asset (not its 4 KB environment), the deployed bundle
 * serves the last channel, and the IVS grants stay least-privilege and within IAM's size
 * limits, with and without channel discovery.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ASSET_FILE } from '../../lambda/config/runtime';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';
import { FAKE_AWS_ENV, fakeSecretsManager } from '../support/fake-aws';
import { p384KeyPair } from '../support/keys';

const N = 10_000;
const OUTDIR = resolve('cdk.out/scale-test'); // inside the project, so `@aws-sdk/*` resolves as on Lambda
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:playback-AbCdEf';
const channelArn = (i: number) => `arn:aws:ivs:us-east-1:123456789012:channel/Ch${String(i).padStart(8, '0')}`;
const playbackUrl = (i: number) => `https://0123456789ab.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123456789012.channel.Ch${i}.m3u8`;
const auth = { type: 'jwt' as const, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example', audience: ['app-client'] };

// Every other channel without a playbackUrl (resolved with GetChannel); the last one has one.
const channels = Array.from({ length: N }, (_, i) => ({ id: `ch-${i}`, arn: channelArn(i), ...(i % 2 ? { playbackUrl: playbackUrl(i) } : {}) }));
const secretArn = (n: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}-AbCdEf`;
const big: TokenVendingConfigInput = {
  channels,
  playback: { signingKeySecretArn: KEY_ARN },
  // Every function, so that every environment is measured (existing secrets: their ARNs are plain strings).
  turn: { uris: ['turn:turn.example.com:3478'], secretArn: secretArn('turn') },
  livekit: { url: 'wss://lk.example.com', credentialsSecretArn: secretArn('livekit'), e2eeSecretArn: secretArn('e2ee'), roomPolicies: [{ name: 'p', rooms: ['r-*'], e2ee: true }] },
  entitlements: [{ name: 'all', channels: ['*'], turn: true, roomPolicies: ['p'] }],
  auth,
};

type Fn = { Properties: { Description: string; Environment?: { Variables?: Record<string, unknown> }; Role: { 'Fn::GetAtt': [string, string] } } };
const functionsOf = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function')) as Fn[];

/** Bytes of a function's environment as Lambda counts them (keys and values). */
const envBytes = (fn: Fn) =>
  Object.entries(fn.Properties.Environment?.Variables ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 90), 0);

function statementsOf(t: Template, description: string): any[] {
  const fn = functionsOf(t).find((f) => f.Properties.Description === description)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}
const ivsStatements = (t: Template, description: string) => statementsOf(t, description).filter((s) => JSON.stringify(s.Action).includes('ivs:'));
const nagViolations = (app: App) => new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`);

describe(`a stack with ${N} configured channels`, () => {
  const keys = p384KeyPair();
  let app: App;
  let stack: TokenVendingStack;
  let template: Template;
  let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
  const saved = { ...process.env };

  beforeAll(async () => {
    sm = await fakeSecretsManager({ [KEY_ARN]: { string: keys.sec1Pem } });
    app = new App({ outdir: OUTDIR });
    stack = new TokenVendingStack(app, 'Scale', { config: parseConfig(big) });
    app.synth();
    template = Template.fromStack(stack);
  });
  afterAll(async () => {
    process.env = saved;
    await sm?.close();
    rmSync(OUTDIR, { recursive: true, force: true });
  });

  it('synthesizes, with every function environment well under 4 KB and no config in it', () => {
    const fns = functionsOf(template);
    expect(fns.map((f) => f.Properties.Description)).toEqual(expect.arrayContaining([
      'POST /v1/playback-tokens', 'POST /v1/room-tokens', 'POST /v1/turn-credentials', 'problem+json 404/405 for unmatched requests',
    ]));
    for (const fn of fns) {
      // Strings, or a {Ref} to a secret the stack creates (an ARN of ~90 characters once deployed).
      expect(Object.values(fn.Properties.Environment?.Variables ?? {}).every((v) => typeof v === 'string' || Object.keys(v as object).join() === 'Ref')).toBe(true);
      expect(envBytes(fn), fn.Properties.Description).toBeLessThan(1024);
      expect(Object.keys(fn.Properties.Environment?.Variables ?? {}).join()).not.toMatch(/CONFIG/);
    }
  });

  it('puts the validated config, every channel of it, into each function asset', () => {
    for (const name of ['playback-tokens', 'turn-credentials', 'room-tokens', 'not-found']) {
      const asset = stack.api.functions[name]!.fn.node.findChild('Code') as Asset;
      const file = join(OUTDIR, asset.assetPath, CONFIG_ASSET_FILE);
      expect(existsSync(file), file).toBe(true);
      const carried = JSON.parse(readFileSync(file, 'utf8'));
      expect(carried.channels).toHaveLength(N);
      expect(carried.channels[N - 1]).toEqual({ id: `ch-${N - 1}`, arn: channelArn(N - 1), playbackUrl: playbackUrl(N - 1) });
    }
  });

  it('grants GetChannel and revocation on the account\'s channels instead of 5,000 ARNs, within the IAM policy size limit', () => {
    expect(ivsStatements(template, 'POST /v1/playback-tokens')).toEqual([
      { Effect: 'Allow', Action: 'ivs:GetChannel', Resource: 'arn:aws:ivs:us-east-1:123456789012:channel/*' },
    ]);
    expect(ivsStatements(template, 'POST /v1/viewer-revocations')).toEqual([
      { Effect: 'Allow', Action: 'ivs:StartViewerSessionRevocation', Resource: 'arn:aws:ivs:us-east-1:123456789012:channel/*' },
    ]);
    for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as any[]) {
      expect(JSON.stringify(p.Properties.PolicyDocument).length).toBeLessThan(10_240);
    }
    expect(nagViolations(app)).toEqual([]);
  });

  it('deployed as bundled, serves a playback token for the last channel', async () => {
    const fn = stack.api.functions['playback-tokens']!.fn;
    const asset = fn.node.findChild('Code') as Asset;
    const env = (stack.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, string> }).variables;
    for (const k of Object.keys(process.env)) if (/_SECRET_ID$|^TOKEN_VENDING_CONFIG/.test(k)) delete process.env[k];
    Object.assign(process.env, FAKE_AWS_ENV, { AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, POWERTOOLS_LOG_LEVEL: 'SILENT' }, env);
    const { handler } = (await import(`${pathToFileURL(join(OUTDIR, asset.assetPath, 'index.mjs')).href}?scale`)) as { handler: (e: unknown) => Promise<any> };
    const event = (channel: string) => ({
      version: '2.0', routeKey: 'POST /v1/playback-tokens', rawPath: '/v1/playback-tokens', rawQueryString: '', headers: { 'content-type': 'application/json' },
      requestContext: { requestId: 'r', http: { method: 'POST', path: '/v1/playback-tokens' }, authorizer: { jwt: { claims: { sub: 'user-1', iss: auth.issuer } } } },
      body: JSON.stringify({ channel }), isBase64Encoded: false,
    });
    const res = await handler(event(`ch-${N - 1}`));
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body);
    expect((await jwtVerify(body.token, keys.publicKey, { algorithms: ['ES384'] })).payload['aws:channel-arn']).toBe(channelArn(N - 1));
    expect(body.playbackUrl).toBe(`${playbackUrl(N - 1)}?token=${body.token}`);
    // By ARN as well, and an unknown channel is still refused.
    expect((await handler(event(channelArn(N - 3)))).statusCode).toBe(200);
    expect((await handler(event(`ch-${N}`))).statusCode).toBe(403);
  });
});

describe('the config carrier', () => {
  it('gives each stack of one app its own config (a new config is a new asset, never a cached bundle)', () => {
    const app = new App({ outdir: resolve('cdk.out/carrier-test') });
    try {
      const small = (id: string) =>
        new TokenVendingStack(app, `Stack-${id}`, {
          config: parseConfig({ channels: [{ id, arn: channelArn(1), playbackUrl: playbackUrl(1) }], entitlements: [{ name: 'all', channels: ['*'] }], auth }),
        });
      const [a, b] = [small('alpha'), small('beta')];
      app.synth();
      const carried = (s: TokenVendingStack) => {
        const asset = s.api.functions['playback-tokens']!.fn.node.findChild('Code') as Asset;
        return { hash: asset.assetHash, ids: JSON.parse(readFileSync(join(app.outdir, asset.assetPath, CONFIG_ASSET_FILE), 'utf8')).channels.map((c: { id: string }) => c.id) };
      };
      expect(carried(a).ids).toEqual(['alpha']);
      expect(carried(b).ids).toEqual(['beta']);
      expect(carried(a).hash).not.toBe(carried(b).hash);
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});

describe('IVS grants with channel discovery', () => {
  const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { tokenVending: TokenVendingConfigInput } };
  const synth = (overrides: Partial<TokenVendingConfigInput>, env?: { account: string; region: string }) => {
    const app = new App();
    const stack = new TokenVendingStack(app, 'Discovery', { config: parseConfig({ ...cdkJson.context.tokenVending, ...overrides }), env });
    return { app, stack, template: Template.fromStack(stack) };
  };

  it('gives ListChannels (resource "*") to the functions that look channels up only, and GetChannel on this account and region', () => {
    const { app, template } = synth({ channelDiscovery: { tag: 'tv-channel' } }, { account: '210987654321', region: 'eu-west-1' });
    expect(ivsStatements(template, 'POST /v1/playback-tokens')).toEqual([
      { Effect: 'Allow', Action: 'ivs:ListChannels', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'ivs:GetChannel',
        Resource: [
          'arn:aws:ivs:us-east-1:123456789012:channel/AbCdEfGhIjKl',
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ivs:eu-west-1:210987654321:channel/*']] },
        ],
      },
    ]);
    // Revocation finds channels through the same registry: ListChannels too, and its own
    // action on the configured channel (another region) as well as on this region's channels.
    expect(ivsStatements(template, 'POST /v1/viewer-revocations')).toEqual([
      { Effect: 'Allow', Action: 'ivs:ListChannels', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'ivs:StartViewerSessionRevocation',
        Resource: [
          'arn:aws:ivs:us-east-1:123456789012:channel/AbCdEfGhIjKl',
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ivs:eu-west-1:210987654321:channel/*']] },
        ],
      },
    ]);
    for (const other of ['POST /v1/turn-credentials', 'POST /v1/room-tokens', 'GET /.well-known/jwks.json', 'problem+json 404/405 for unmatched requests']) {
      expect(JSON.stringify(statementsOf(template, other)), other).not.toContain('ivs:');
    }
    expect(nagViolations(app)).toEqual([]);
  });

  it('acknowledges each wildcard resource to cdk-nag with a reason, also in an environment-agnostic stack', () => {
    const { app, stack } = synth({ channelDiscovery: { tag: 'tv-channel' } });
    expect(nagViolations(app)).toEqual([]);
    const acks = Object.assign(
      {},
      ...stack.api.functions['playback-tokens']!.role.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data as Record<string, string>),
    ) as Record<string, string>;
    const byRule = Object.fromEntries(Object.entries(acks).map(([k, v]) => [k.replace(/^annotation::/i, ''), v]));
    expect(Object.keys(byRule).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ivs:<AWS::Region>:<AWS::AccountId>:channel/*]',
    ]);
    expect(byRule['AwsSolutions-IAM5[Resource::*]']).toMatch(/ListChannels .*supports no resource-level permission/);
  });

  it('gives no ListChannels when discovery is off', () => {
    const { template } = synth({});
    expect(JSON.stringify(template.toJSON())).not.toContain('ivs:ListChannels');
  });
});
