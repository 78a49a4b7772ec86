/** Template tests of the key lifecycle: managed key, rotation schedule, IVS grants, JWKS and revocation routes, cdk-nag. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';

/** Template tests need no Lambda bundles (bundles.test.ts runs those): skip esbuild, it dominates synth time. */
const NO_BUNDLING = { context: { 'aws:cdk:bundling-stacks': [] as string[] } };

const base = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { tokenVending: TokenVendingConfigInput } }).context.tokenVending;
const EU_CHANNEL = 'arn:aws:ivs:eu-west-1:123456789012:channel/EuChannel1';

function synth(overrides: Partial<TokenVendingConfigInput> = {}) {
  const app = new App(NO_BUNDLING);
  const stack = new TokenVendingStack(app, 'Keys', { config: parseConfig({ ...base, ...overrides }) });
  return { app, stack, t: Template.fromStack(stack) };
}
const multiRegion = {
  channels: [...base.channels!, { id: 'eu', arn: EU_CHANNEL }],
  playback: { keyRegions: ['ap-south-1'], rotationDays: 7 },
};
const { app, t } = synth(multiRegion);

const CR = 'Managed playback key: generate in AWS, import into IVS (custom resource)';
const ROTATION = 'Managed playback key: Secrets Manager rotation (IVS key pairs kept in step)';

/** Description of every function whose role holds `action`, and the resources it holds it on. */
function holders(template: Template, action: string): Record<string, unknown[]> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  const out: Record<string, unknown[]> = {};
  for (const fn of fns) {
    const roleId = fn.Properties.Role?.['Fn::GetAtt']?.[0];
    for (const p of policies.filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))) {
      for (const s of p.Properties.PolicyDocument.Statement) {
        if ([s.Action].flat().includes(action)) (out[fn.Properties.Description ?? '(provider framework)'] ??= []).push(...[s.Resource].flat());
      }
    }
  }
  return out;
}
const keyPairArn = (region: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ivs:${region}:`, { Ref: 'AWS::AccountId' }, ':playback-key/*']] });
const REGIONS = ['ap-south-1', 'eu-west-1', 'us-east-1'];

describe('the managed playback key', () => {
  it('is created by a custom resource in every region of a channel and of playback.keyRegions', () => {
    const secretId = Object.keys(t.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('PlaybackSigningKey'))!;
    t.hasResourceProperties('Custom::IvsPlaybackKey', { SecretArn: { Ref: secretId }, Regions: REGIONS, GraceSeconds: String(300 + 3600 + 3600) });
    expect(Object.keys(t.findOutputs('*'))).toEqual(expect.arrayContaining(['PlaybackKeyPairArns', 'PlaybackKeyThumbprint']));
    t.hasOutput('PlaybackKeyPairArns', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlaybackKey'), 'KeyPairArns'] } });
  });

  it('rotates on the configured schedule, not at deploy time, after the first key exists', () => {
    const [id, schedule] = Object.entries(t.findResources('AWS::SecretsManager::RotationSchedule'))[0] as [string, any];
    const rotationFn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([, f]: any) => f.Properties.Description === ROTATION)![0];
    expect(schedule.Properties).toMatchObject({ RotationLambdaARN: { 'Fn::GetAtt': [rotationFn, 'Arn'] }, RotationRules: { ScheduleExpression: 'rate(7 days)' }, RotateImmediatelyOnUpdate: false });
    const crId = Object.keys(t.findResources('Custom::IvsPlaybackKey'))[0]!;
    expect(schedule.DependsOn).toContain(crId);
    expect(id).toMatch(/^PlaybackSigningKeyRotation/);
    synth().t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
    // The rotation function knows the regions and the grace period, and no token-vending config.
    const env = (t.findResources('AWS::Lambda::Function')[rotationFn] as any).Properties.Environment.Variables;
    expect(env).toMatchObject({ KEY_REGIONS: REGIONS.join(','), KEY_GRACE_SECONDS: '7500' });
    expect(env).not.toHaveProperty('TOKEN_VENDING_CONFIG');
  });

  it('grants the key-pair actions to the rotation and custom-resource functions only, on playback-key/* of the key regions', () => {
    // TagResource too: importing with tags needs it (AWS::IVS::PlaybackKeyPair schema), and rotation marks retired key pairs.
    for (const action of ['ivs:ImportPlaybackKeyPair', 'ivs:TagResource', 'ivs:DeletePlaybackKeyPair', 'ivs:ListTagsForResource']) {
      expect(holders(t, action), action).toEqual({ [CR]: REGIONS.map(keyPairArn), [ROTATION]: REGIONS.map(keyPairArn) });
    }
    expect(holders(t, 'ivs:ListPlaybackKeyPairs')).toEqual({ [CR]: ['*'], [ROTATION]: ['*'] });
    expect(holders(t, 'ivs:StartViewerSessionRevocation')).toEqual({ 'POST /v1/viewer-revocations': [base.channels![0]!.arn, EU_CHANNEL] });
    for (const action of ['ivs:*', 'ivs:CreateChannel', 'ivs:GetPlaybackKeyPair']) expect(holders(t, action)).toEqual({});
  });

  it('lets only the lifecycle functions write the signing-key secret', () => {
    const secret = { Ref: Object.keys(t.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('PlaybackSigningKey'))! };
    expect(holders(t, 'secretsmanager:PutSecretValue')).toEqual({ [CR]: [secret], [ROTATION]: [secret] });
    expect(holders(t, 'secretsmanager:UpdateSecretVersionStage')).toEqual({ [ROTATION]: [secret] });
    expect(Object.keys(holders(t, 'secretsmanager:DescribeSecret')).sort()).toEqual([CR, ROTATION].sort());
  });

  it('gives the pepper to the functions that derive ids, and to no other', () => {
    const pepper = { Ref: Object.keys(t.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('PseudonymPepper'))! };
    const readers = Object.entries(holders(t, 'secretsmanager:GetSecretValue')).filter(([, r]) => JSON.stringify(r).includes(pepper.Ref)).map(([d]) => d);
    expect(readers.sort()).toEqual(['POST /v1/playback-tokens', 'POST /v1/turn-credentials', 'POST /v1/viewer-revocations']);
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('^Pepper'), GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } });
  });

  it('has none of this with a bring-your-own key', () => {
    const { t: byo } = synth({ ...multiRegion, playback: { signingKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ivs/key-AbCdEf' } });
    byo.resourceCountIs('Custom::IvsPlaybackKey', 0);
    byo.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(holders(byo, 'ivs:ImportPlaybackKeyPair')).toEqual({});
    expect(holders(byo, 'ivs:DeletePlaybackKeyPair')).toEqual({});
  });
});

describe('the routes', () => {
  it('serve GET /.well-known/jwks.json without an authorizer and POST /v1/viewer-revocations behind it', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /.well-known/jwks.json', AuthorizationType: 'NONE' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/viewer-revocations', AuthorizationType: 'JWT' });
    const { t: hmac } = synth({ auth: { type: 'hmac' } });
    hmac.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /.well-known/jwks.json', AuthorizationType: 'NONE' });
    hmac.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/viewer-revocations', AuthorizationType: 'CUSTOM' });
  });

  it('let the JWKS function read the signing key only', () => {
    const reads = holders(t, 'secretsmanager:GetSecretValue')['GET /.well-known/jwks.json'];
    expect(reads).toEqual([{ Ref: expect.stringMatching(/^PlaybackSigningKey/) }]);
  });
});

describe('cdk-nag', () => {
  it('is clean over three key regions, with a reason beside every acknowledgement', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    const acks = app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(5);
    for (const a of acks) for (const [id, reason] of Object.entries(a)) expect(reason.length, id).toBeGreaterThan(40);
  });
});
