/**
 * The construct for existing CDK apps, used the way a user would: a separate small CDK app
 * (test/fixtures/consumer-app/app.ts) in a directory of its own, whose node_modules links
 * `token-vending` to this package (what `npm install <path>` does) beside the aws-cdk-lib,
 * constructs and cdk-nag it brings itself. It imports `token-vending/cdk` by package name
 * (package.json `exports`), adds `TokenVending` to one of its stacks beside its own bucket,
 * and synthesizes in a child process.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'tv-consumer-app-'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let template: any;
let report: { stack: string; tokensPath: string; nag: { rule: string; paths: string[] }[] };
let run: ReturnType<typeof spawnSync>;

beforeAll(() => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-platform', private: true, type: 'module', dependencies: { 'token-vending': `file:${ROOT}` } }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'token-vending'), 'dir');
  for (const dep of ['aws-cdk-lib', 'constructs', 'cdk-nag']) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  copyFileSync('test/fixtures/consumer-app/app.ts', join(dir, 'app.ts'));
  const tsx = createRequire(import.meta.url).resolve('tsx').replace(/[^/]+$/, 'loader.mjs');
  run = spawnSync(process.execPath, ['--import', tsx, 'app.ts', 'cdk.out'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (run.status === 0) {
    report = JSON.parse(readFileSync(join(dir, 'cdk.out', 'nag.json'), 'utf8'));
    template = JSON.parse(readFileSync(join(dir, 'cdk.out', `${report.stack}.template.json`), 'utf8'));
  }
}, 150_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ofType = (type: string) => Object.values(template.Resources as Record<string, { Type: string; Properties: any }>).filter((r) => r.Type === type); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('TokenVending in another CDK app (imported as token-vending/cdk)', () => {
  it('synthesizes the app from its own directory', () => {
    expect(run.status, String(run.stderr)).toBe(0);
    expect(readFileSync(join(dir, 'app.ts'), 'utf8')).toContain("from 'token-vending/cdk'");
  });

  it("puts the whole API into the user's stack, beside the user's own resources", () => {
    expect(ofType('AWS::S3::Bucket')).toHaveLength(1); // the app's own
    expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
    const routes = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
    expect(routes).toEqual(expect.arrayContaining(['POST /v1/playback-tokens', 'POST /v1/turn-credentials', 'POST /v1/room-tokens', 'GET /.well-known/jwks.json', 'OPTIONS /{proxy+}']));
    expect(ofType('AWS::ApiGatewayV2::Authorizer')[0]!.Properties).toMatchObject({ AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example' } });
    const functions = ofType('AWS::Lambda::Function').map((f) => f.Properties.Description);
    expect(functions).toEqual(expect.arrayContaining(['POST /v1/playback-tokens', 'POST /v1/room-tokens']));
    // The managed playback key, its rotation, and the app's own output of the API's URL.
    expect(ofType('AWS::SecretsManager::RotationSchedule')).toHaveLength(1);
    expect(template.Outputs.TokenApiUrl).toBeDefined();
    // Resources sit under the construct's path in the user's stack.
    expect(report.tokensPath).toBe('Platform/Tokens');
  });

  it('is clean under cdk-nag AwsSolutions in the user\'s app (findings of the construct\'s resources)', () => {
    const ours = report.nag.filter((v) => v.paths.some((p) => p.startsWith(`${report.tokensPath}/`)));
    expect(ours).toEqual([]);
  });
});

describe('TokenVending props', () => {
  it('refuses a bad config with every problem by path, and edge with where to go instead', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { TokenVending } = await import('token-vending/cdk');
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    expect(() => new TokenVending(stack, 'Bad', { config: { channels: [{ id: 'x y', arn: 'nope' }], entitlements: [] } })).toThrow(/channels\.0\.id[\s\S]*channels\.0\.arn/);
    const edge = { channels: [], channelDiscovery: { tag: 't' }, entitlements: [{ name: 'e', channels: ['*'] }], auth: { type: 'hmac' as const }, edge: {} };
    expect(() => new TokenVending(stack, 'Edge', { config: edge })).toThrow(/edge: not supported by the TokenVending construct/);
  });

  it('uses secrets the app already has instead of creating them (and then no managed key)', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { Secret } = await import('aws-cdk-lib/aws-secretsmanager');
    const { Template } = await import('aws-cdk-lib/assertions');
    const { TokenVending } = await import('token-vending/cdk');
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const key = Secret.fromSecretNameV2(stack, 'Existing', 'platform/ivs-key');
    const tv = new TokenVending(stack, 'Tokens', {
      config: { channels: [{ id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Abc', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }], entitlements: [{ name: 'e', channels: ['a'] }], auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: ['c'] } },
      secrets: { playbackKey: key },
    });
    expect(tv.managedKey).toBeUndefined();
    expect(tv.secrets.playbackKey).toBe(key);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(Object.keys(t.findResources('AWS::SecretsManager::Secret'))).toHaveLength(1); // only the pepper
  });
});
