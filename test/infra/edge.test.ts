/**
 * The optional edge (config `edge`): the edge stack in us-east-1 (web ACL, distribution,
 * origin-verify secret) and what it changes in the API stack; cdk-nag over both.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import { ORIGIN_VERIFY_HEADER, RATE_LIMITED_PROBLEM } from '../../lambda/http/edge';
import { addTokenVendingStacks } from '../../lib/token-vending-app';

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { tokenVending: TokenVendingConfigInput } };
const baseConfig = cdkJson.context.tokenVending;
const ENV = { account: '123456789012', region: 'eu-west-1' };
/** CloudFront managed policy ids (CloudFront developer guide, "Use managed cache policies" / "origin request policies"). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function synth(overrides: Partial<TokenVendingConfigInput>, env: { account?: string; region?: string } = ENV) {
  // Bundling is covered by stack.test.ts and bundles.test.ts; here it would only cost time.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addTokenVendingStacks(app, 'Tv', parseConfig({ ...baseConfig, ...overrides }), env);
  return {
    app,
    stacks,
    api: Template.fromStack(stacks.api),
    edge: stacks.edge && Template.fromStack(stacks.edge),
  };
}

const withEdge = synth({ edge: { rateLimitPerIp: { requests: 300, windowSeconds: 120 }, rateLimitPerCaller: { requests: 60, windowSeconds: 60 } } });
const edge = withEdge.edge!;

function rules(t: Template): any[] {
  const [acl] = Object.values(t.findResources('AWS::WAFv2::WebACL')) as any[];
  return acl.Properties.Rules;
}
const rule = (t: Template, name: string) => rules(t).find((r) => r.Name === name);

describe('the edge stack', () => {
  it('lives in us-east-1 (CloudFront scope), and the API stack stays in its own region', () => {
    expect(withEdge.stacks.edge!.region).toBe('us-east-1');
    expect(withEdge.stacks.api.region).toBe('eu-west-1');
    expect(withEdge.stacks.edge!.dependencies).toContain(withEdge.stacks.api);
  });

  it('also works with the API in us-east-1: one region, nothing to replicate', () => {
    const { stacks, edge: t } = synth({ edge: {} }, { account: '123456789012', region: 'us-east-1' });
    expect(stacks.edge!.region).toBe('us-east-1');
    const [secret] = Object.values(t!.findResources('AWS::SecretsManager::Secret')) as any[];
    expect(secret.Properties.ReplicaRegions).toBeUndefined();
    const [dist] = Object.values(t!.findResources('AWS::CloudFront::Distribution')) as any[];
    expect(JSON.stringify(dist.Properties.DistributionConfig.Origins[0].DomainName)).toContain('.execute-api.us-east-1.amazonaws.com');
  });

  it('has a CLOUDFRONT web ACL that allows by default and answers its blocks with the 429 problem body', () => {
    const [acl] = Object.values(edge.findResources('AWS::WAFv2::WebACL')) as any[];
    expect(acl.Properties.Scope).toBe('CLOUDFRONT');
    expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
    const body = acl.Properties.CustomResponseBodies.rate_limited;
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toEqual(RATE_LIMITED_PROBLEM);
  });

  it('limits each client IP with a rate-based rule over the configured window, blocking with 429 + Retry-After', () => {
    const r = rule(edge, 'RateLimitPerIp');
    expect(r.Statement.RateBasedStatement).toEqual({ Limit: 300, EvaluationWindowSec: 120, AggregateKeyType: 'IP' });
    expect(r.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'rate_limited' });
    expect(r.Action.Block.CustomResponse.ResponseHeaders).toContainEqual({ Name: 'retry-after', Value: '120' });
    expect(r.Action.Block.CustomResponse.ResponseHeaders).toContainEqual({ Name: 'access-control-allow-origin', Value: '*' });
  });

  it('limits each signed-in caller by its Authorization header (JWT auth)', () => {
    const r = rule(edge, 'RateLimitPerCaller');
    expect(r.Statement.RateBasedStatement).toEqual({
      Limit: 60,
      EvaluationWindowSec: 60,
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
    });
    expect(r.Action.Block.CustomResponse.ResponseCode).toBe(429);
  });

  it('keys the per-caller rule on the HMAC key id with HMAC auth, and has no per-caller rule unless configured', () => {
    const { edge: hmac } = synth({ auth: { type: 'hmac' }, edge: { rateLimitPerCaller: {} } });
    expect(rule(hmac!, 'RateLimitPerCaller').Statement.RateBasedStatement.CustomKeys[0].Header.Name).toBe('x-tv-key-id');

    const { edge: ipOnly } = synth({ edge: {} });
    expect(rules(ipOnly!).map((r) => r.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'RateLimitPerIp',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    // Defaults: 600 requests per minute per IP.
    expect(rule(ipOnly!, 'RateLimitPerIp').Statement.RateBasedStatement).toMatchObject({ Limit: 600, EvaluationWindowSec: 60 });
  });

  it('runs the AWS managed rule groups for IP reputation and known bad inputs, each overridable', () => {
    for (const name of ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet']) {
      const r = rule(edge, name);
      expect(r.Statement.ManagedRuleGroupStatement).toEqual({ VendorName: 'AWS', Name: name });
      expect(r.OverrideAction).toEqual({ None: {} });
    }
    const { edge: t } = synth({
      edge: { managedRules: { ipReputation: { mode: 'off' }, knownBadInputs: { mode: 'count', countRules: ['Host_localhost_HEADER'] } } },
    });
    expect(rule(t!, 'AWSManagedRulesAmazonIpReputationList')).toBeUndefined();
    const bad = rule(t!, 'AWSManagedRulesKnownBadInputsRuleSet');
    expect(bad.OverrideAction).toEqual({ Count: {} });
    expect(bad.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([{ Name: 'Host_localhost_HEADER', ActionToUse: { Count: {} } }]);
    // Priorities stay unique and dense.
    expect(rules(t!).map((r) => r.Priority)).toEqual([0, 1]);
  });

  it('puts a distribution in front of the API: nothing cached, every viewer header but Host forwarded, the ACL attached', () => {
    const [dist] = Object.values(edge.findResources('AWS::CloudFront::Distribution')) as any[];
    const c = dist.Properties.DistributionConfig;
    expect(c.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
    });
    expect(c.DefaultCacheBehavior.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
    const aclId = Object.keys(edge.findResources('AWS::WAFv2::WebACL'))[0]!;
    expect(c.WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    const [origin] = c.Origins;
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // The API's execute-api host in its own region, read across regions.
    expect(JSON.stringify(origin.DomainName)).toMatch(/ExportsReader.*\.execute-api\.eu-west-1\.amazonaws\.com/);
  });

  it('adds the origin-verify header from the secret, which is replicated to the API region under a fixed name', () => {
    const [dist] = Object.values(edge.findResources('AWS::CloudFront::Distribution')) as any[];
    const [origin] = dist.Properties.DistributionConfig.Origins;
    const secretId = Object.keys(edge.findResources('AWS::SecretsManager::Secret'))[0]!;
    expect(origin.OriginCustomHeaders).toEqual([
      { HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:current::}}']] } },
    ]);
    edge.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'Tv/edge-origin-verify',
      ReplicaRegions: [{ Region: 'eu-west-1' }],
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'current', PasswordLength: 48 }),
    });
  });

  it('makes CloudFront re-read the secret when originSecretEpoch changes', () => {
    const comment = (t: Template) => (Object.values(t.findResources('AWS::CloudFront::Distribution'))[0] as any).Properties.DistributionConfig.Comment;
    expect(comment(synth({ edge: { originSecretEpoch: 2 } }).edge!)).not.toBe(comment(synth({ edge: {} }).edge!));
  });
});

describe('the API stack behind the edge', () => {
  const fns = (t: Template) => Object.entries(t.findResources('AWS::Lambda::Function')) as [string, any][];
  const policyOf = (t: Template, fnProps: any) => {
    const roleId = fnProps.Role['Fn::GetAtt'][0];
    return (Object.values(t.findResources('AWS::IAM::Policy')) as any[])
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  // arn:${Partition}, then the API region's replica by name and any Secrets Manager suffix.
  const SECRET_ARN = ':secretsmanager:eu-west-1:123456789012:secret:Tv/edge-origin-verify-??????';

  it('gives every HTTP function the origin-verify secret by name, readable only in its own region', () => {
    const http = fns(withEdge.api).filter(
      ([, f]) => /^(GET|POST) \/|^problem\+json/.test(String(f.Properties.Description)),
    );
    expect(http.length).toBeGreaterThanOrEqual(4);
    for (const [, f] of http) {
      expect(f.Properties.Environment.Variables.EDGE_ORIGIN_SECRET_ID).toBe('Tv/edge-origin-verify');
      expect(JSON.stringify(policyOf(withEdge.api, f.Properties))).toContain(JSON.stringify(SECRET_ARN).slice(1, -1));
    }
  });

  it('keeps the HMAC authorizer away from it, and adds nothing without edge', () => {
    const { api: hmac } = synth({ auth: { type: 'hmac' }, edge: {} });
    const [, authorizer] = fns(hmac).find(([, f]) => f.Properties.Description === 'HMAC request authorizer')!;
    expect(authorizer.Properties.Environment.Variables.EDGE_ORIGIN_SECRET_ID).toBeUndefined();
    expect(JSON.stringify(policyOf(hmac, authorizer.Properties))).not.toContain('edge-origin-verify');
    const plain = synth({}, {});
    expect(plain.edge).toBeUndefined();
    expect(JSON.stringify(plain.api.toJSON())).not.toContain('EDGE_ORIGIN_SECRET_ID');
  });

  it('has a stage throttle sized for an event start by default (a cost ceiling, not a per-client limit)', () => {
    const { api } = synth({}, {});
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 } });
  });
});

describe('edge config', () => {
  it('needs an explicit account and region (a reference across regions), and says so', () => {
    expect(() => synth({ edge: {} }, {})).toThrow(/edge: needs an explicit account and region/);
  });

  it('refuses a window WAF does not offer, a limit under 10, and a disabled execute-api endpoint', () => {
    expect(() => parseConfig({ ...baseConfig, edge: { rateLimitPerIp: { requests: 100, windowSeconds: 30 } } })).toThrow(/windowSeconds must be one of 60, 120, 300, 600/);
    expect(() => parseConfig({ ...baseConfig, edge: { rateLimitPerIp: { requests: 5 } } })).toThrow(/rateLimitPerIp\.requests/);
    expect(() => parseConfig({ ...baseConfig, api: { disableExecuteApiEndpoint: true }, edge: {} })).toThrow(/do not disable it together with edge/);
  });
});

describe('cdk-nag', () => {
  it('is clean over both stacks, with a reason beside every acknowledgement', () => {
    const report = new AwsSolutionsChecks(withEdge.app).validateScope(withEdge.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    const acks = JSON.stringify(withEdge.app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => /acknowledge/i.test(m.type))));
    for (const id of ['AwsSolutions-CFR1', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4', 'AwsSolutions-SMG4']) expect(acks).toContain(id);
  });
});
