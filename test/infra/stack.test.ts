/** Template tests of the synthesized stack (aws-cdk-lib/assertions) and cdk-nag. */
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';

/** Template tests need no Lambda bundles (bundles.test.ts runs those): skip esbuild, it dominates synth time. */
const NO_BUNDLING = { context: { 'aws:cdk:bundling-stacks': [] as string[] } };

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { tokenVending: TokenVendingConfigInput } };
const baseConfig = cdkJson.context.tokenVending;

function synth(overrides: Partial<TokenVendingConfigInput> = {}) {
  const app = new App(NO_BUNDLING);
  const stack = new TokenVendingStack(app, 'Test', { config: parseConfig({ ...baseConfig, ...overrides }) });
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = synth();

/** The IAM policy statements attached to the role of the function serving `handler`. */
function statementsOf(t: Template, description: string): Record<string, unknown>[] {
  const fns = t.findResources('AWS::Lambda::Function', { Properties: { Description: description } });
  const [fn] = Object.values(fns) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }[];
  const roleId = fn!.Properties.Role['Fn::GetAtt'][0];
  const policies = t.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('the token functions', () => {
  it('run nodejs24.x on arm64, bundled as ESM', () => {
    // Ours: not the CDK provider framework's function (its runtime is aws-cdk-lib's choice).
    const fns = Object.fromEntries(Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => !id.includes('Providerframework')));
    expect(Object.keys(fns).length).toBeGreaterThanOrEqual(2);
    for (const fn of Object.values(fns) as any[]) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
  });

  it('the playback function may read the signing-key secret and the pepper, nothing else', () => {
    const statements = statementsOf(template, 'POST /v1/playback-tokens');
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0]!;
    const pepperId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('PseudonymPepper'))!;
    const logsId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('ApiPlaybackTokensLogs'))!;
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logsId, 'Arn'] } },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [{ Ref: secretId }, { Ref: pepperId }] },
      { Effect: 'Allow', Action: 'ivs:GetChannel', Resource: baseConfig.channels![0]!.arn },
    ]);
  });

  it('gives the signing key to the playback and JWKS functions only (and the key lifecycle, by IAM)', () => {
    expect(JSON.stringify(statementsOf(template, 'problem+json 404/405 for unmatched requests'))).not.toContain('secretsmanager');
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
    expect(fns.filter((f) => 'PLAYBACK_KEY_SECRET_ID' in (f.Properties.Environment?.Variables ?? {})).map((f) => f.Properties.Description).sort()).toEqual([
      'GET /.well-known/jwks.json',
      'POST /v1/playback-tokens',
    ]);
  });

  it('uses an existing secret by its full ARN when the config names one', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ivs/playback-key-AbCdEf';
    const turnArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:coturn/shared-AbCdEf';
    const lk = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:livekit/${name}-AbCdEf`;
    const { template: t } = synth({
      playback: { signingKeySecretArn: arn },
      turn: { ...baseConfig.turn!, secretArn: turnArn },
      livekit: { ...baseConfig.livekit!, credentialsSecretArn: lk('api'), e2eeSecretArn: lk('e2ee') },
    });
    // Only the pepper is created; a BYO key has no custom resource and no rotation.
    expect(Object.keys(t.findResources('AWS::SecretsManager::Secret')).map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['PseudonymPepper']);
    t.resourceCountIs('Custom::IvsPlaybackKey', 0);
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(statementsOf(t, 'POST /v1/room-tokens')).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [lk('api'), lk('e2ee')] });
    const pepper = { Ref: Object.keys(t.findResources('AWS::SecretsManager::Secret'))[0]! };
    expect(statementsOf(t, 'POST /v1/turn-credentials')).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [turnArn, pepper] });
    expect(statementsOf(t, 'POST /v1/playback-tokens')).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [arn, pepper],
    });
  });

  it('may call ivs:GetChannel only on the channels that need a lookup', () => {
    const ivsStatements = statementsOf(template, 'POST /v1/playback-tokens').filter((s: any) => JSON.stringify(s.Action).includes('ivs:'));
    expect(ivsStatements).toEqual([{ Effect: 'Allow', Action: 'ivs:GetChannel', Resource: baseConfig.channels![0]!.arn }]);
    const { template: t } = synth({
      channels: [{ id: 'a', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Aaaa', playbackUrl: 'https://a.playback.live-video.net/a.m3u8' }],
      entitlements: [{ name: 'all', channels: ['*'] }],
    });
    expect(JSON.stringify(statementsOf(t, 'POST /v1/playback-tokens'))).not.toContain('ivs:');
  });
});

describe('the TURN function', () => {
  it('may read the TURN secret and the pepper, nothing else', () => {
    const secrets = Object.entries(template.findResources('AWS::SecretsManager::Secret')) as [string, any][];
    const turnSecretId = secrets.find(([, r]) => r.Properties.Description.startsWith('coturn'))![0];
    const logsId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('ApiTurnCredentialsLogs'))!;
    expect(statementsOf(template, 'POST /v1/turn-credentials')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logsId, 'Arn'] } },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [{ Ref: turnSecretId }, { Ref: secrets.find(([id]) => id.startsWith('PseudonymPepper'))![0] }] },
    ]);
    const [turnSecret] = secrets.find(([id]) => id === turnSecretId)!.slice(1);
    expect(turnSecret.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, PasswordLength: 48 });
  });

  it('is absent, with its secret, when the config has no turn section', () => {
    const { turn: _turn, ...noTurn } = baseConfig;
    const app2 = new App(NO_BUNDLING);
    const t = Template.fromStack(new TokenVendingStack(app2, 'NoTurn', { config: parseConfig(noTurn) }));
    expect(JSON.stringify(t.findResources('AWS::ApiGatewayV2::Route'))).not.toContain('turn-credentials');
    expect(Object.keys(t.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('Turn'))).toEqual([]);
    expect(Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) => id.includes('Turn'))).toEqual([]);
  });

  it('fails synth with a clear message on a malformed TURN URI', () => {
    expect(() => synth({ turn: { uris: ['turn:turn.example.com:3478?transport=quic'] } })).toThrow(/turn\.uris\.0: must be stun:host/);
  });
});

describe('the room-token function', () => {
  it('may read the LiveKit credentials and the E2EE secret, and nothing else', () => {
    const secrets = Object.entries(template.findResources('AWS::SecretsManager::Secret')) as [string, any][];
    const idOf = (prefix: string) => secrets.find(([id]) => id.startsWith(prefix))![0];
    const logsId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('ApiRoomTokensLogs'))!;
    expect(statementsOf(template, 'POST /v1/room-tokens')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logsId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [{ Ref: idOf('LiveKitCredentials') }, { Ref: idOf('LiveKitE2eeSecret') }],
      },
    ]);
    // No other function can read them.
    for (const other of ['POST /v1/playback-tokens', 'POST /v1/turn-credentials']) {
      expect(JSON.stringify(statementsOf(template, other))).not.toMatch(/LiveKit/);
    }
  });

  it('generates LiveKit credentials as JSON with a 48-character apiSecret', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { SecretStringTemplate: '{"apiKey":"token-vending"}', GenerateStringKey: 'apiSecret', PasswordLength: 48, ExcludePunctuation: true },
    });
  });

  it('has no E2EE secret when no policy asks for E2EE', () => {
    const livekit = { ...baseConfig.livekit!, roomPolicies: baseConfig.livekit!.roomPolicies.map((p) => ({ ...p, e2ee: false })) };
    const { template: t } = synth({ livekit });
    expect(Object.keys(t.findResources('AWS::SecretsManager::Secret')).some((id) => id.startsWith('LiveKitE2ee'))).toBe(false);
  });
});

describe('the HTTP API', () => {
  it.each(['POST /v1/playback-tokens', 'POST /v1/turn-credentials', 'POST /v1/room-tokens'])('routes %s behind the JWT authorizer', (routeKey) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'JWT' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: baseConfig.auth && 'issuer' in baseConfig.auth ? baseConfig.auth.issuer : '', Audience: ['example-app-client-id'] },
    });
  });

  it('sends unmatched requests to the problem+json fallback, behind the same authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'JWT' });
  });

  it('puts every route behind an authorizer, except the CORS preflight route and the public JWKS', () => {
    const open = ['OPTIONS /{proxy+}', 'GET /.well-known/jwks.json'];
    const routes = (Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as any[]).filter((r) => !open.includes(r.Properties.RouteKey));
    expect(routes.length).toBe(5);
    for (const r of routes) {
      expect(r.Properties.AuthorizationType, r.Properties.RouteKey).toBe('JWT');
      expect(r.Properties.AuthorizerId).toBeDefined();
    }
  });

  it('throttles per route where the config says so', () => {
    const { template: t } = synth({ api: { throttle: { rateLimit: 20, burstLimit: 40 }, routeThrottle: { 'POST /v1/room-tokens': { rateLimit: 5, burstLimit: 10 } } } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      RouteSettings: { 'POST /v1/room-tokens': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } },
    });
    expect(() => synth({ api: { routeThrottle: { 'POST /v1/nothing-here': { rateLimit: 1 } } } })).toThrow(/no route "POST \/v1\/nothing-here"/);
  });

  it('has a $default stage with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('allows CORS from exactly the configured origins, for the methods and headers a frontend sends', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://watch.example.com'],
        AllowMethods: ['GET', 'POST'], // GET: the public JWKS
        AllowHeaders: ['authorization', 'content-type'],
        ExposeHeaders: ['retry-after'],
        MaxAge: 3600,
      },
    });
  });

  it('lets preflights past the authorizer: OPTIONS /{proxy+} has none, and goes to the fallback function', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'OPTIONS /{proxy+}' } });
    const [route] = Object.values(routes) as any[];
    expect(route.Properties.AuthorizationType).toBe('NONE');
    expect(route.Properties.AuthorizerId).toBeUndefined();
    const [integrationId] = route.Properties.Target['Fn::Join'][1][1].Ref ? [route.Properties.Target['Fn::Join'][1][1].Ref] : [];
    const integration = template.toJSON().Resources[integrationId];
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toMatch(/NotFound/);
  });

  it('gives API Gateway only the exact origins (its CORS has no subdomain wildcards) and warns about the rest', () => {
    const { template: t, stack: s } = synth({ origins: { allow: ['https://watch.example.com', 'https://*.example.org'] } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://watch.example.com'] }) });
    const warnings = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('subdomain wildcards'));
    expect(warnings).toHaveLength(1);
  });

  it('has no preflight route and no CORS without allowed origins', () => {
    const { template: t } = synth({ origins: { allow: [] } });
    expect(Object.keys(t.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'OPTIONS /{proxy+}' } }))).toEqual([]);
    const [api] = Object.values(t.findResources('AWS::ApiGatewayV2::Api')) as any[];
    expect(api.Properties.CorsConfiguration).toBeUndefined();
  });

  it('keeps the execute-api endpoint unless the config turns it off', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
    synth({ api: { disableExecuteApiEndpoint: true } }).template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
  });
});

describe('HMAC authentication', () => {
  const { template: t, app: hmacApp } = synth({ auth: { type: 'hmac' } });

  it('puts every route behind the Lambda authorizer, uncached, with the signature headers as identity sources', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: ['x-tv-key-id', 'x-tv-timestamp', 'x-tv-subject', 'x-tv-content-sha256', 'x-tv-signature'].map((h) => `$request.header.${h}`),
    });
    for (const r of Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as any[]) {
      expect(r.Properties.AuthorizationType, r.Properties.RouteKey).toBe(['OPTIONS /{proxy+}', 'GET /.well-known/jwks.json'].includes(r.Properties.RouteKey) ? 'NONE' : 'CUSTOM');
    }
  });

  it('lets the authorizer read the HMAC keys and nothing else, and no route function read them', () => {
    const keysId = Object.keys(t.findResources('AWS::SecretsManager::Secret')).find((id) => id.startsWith('HmacKeys'))!;
    const statements = statementsOf(t, 'HMAC request authorizer');
    expect(statements.filter((s: any) => s.Action === 'secretsmanager:GetSecretValue')).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: keysId } },
    ]);
    for (const route of ['POST /v1/playback-tokens', 'POST /v1/turn-credentials', 'POST /v1/room-tokens']) {
      expect(JSON.stringify(statementsOf(t, route))).not.toContain(keysId);
    }
  });

  it('is clean under cdk-nag', () => {
    expect(new AwsSolutionsChecks(hmacApp).validateScope(hmacApp).violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('synth', () => {
  it('is clean under cdk-nag AwsSolutions, with a reason beside every acknowledgement', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    void stack;
  });

  it('with an acknowledged auth "none", has unauthenticated routes and says why to cdk-nag', () => {
    const { template: t, app: noneApp } = synth({ auth: { type: 'none', acknowledge: 'anyone who can reach the API can mint tokens' } });
    for (const r of Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as any[]) expect(r.Properties.AuthorizationType).toBe('NONE');
    expect(new AwsSolutionsChecks(noneApp).validateScope(noneApp).violations).toEqual([]);
  });

  it('fails with a clear message when the config has no auth', () => {
    const app2 = new App(NO_BUNDLING);
    const { auth: _auth, ...noAuth } = baseConfig;
    expect(() => new TokenVendingStack(app2, 'NoAuth', { config: parseConfig(noAuth) })).toThrow(/auth: missing/);
  });

  it('fails with a clear message on a malformed channel ARN', () => {
    expect(() => synth({ channels: [{ id: 'x', arn: 'arn:aws:s3:::bucket' }], entitlements: [{ name: 'a', channels: ['x'] }] })).toThrow(
      /channels\.0\.arn: must be an IVS channel ARN/,
    );
  });
});
