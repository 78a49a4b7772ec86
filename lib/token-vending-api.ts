/**
 * Reusable L3 construct: the HTTP API, its `$default` stage with access logs and throttling,
 * the JWT authorizer, CORS, and one function per route with exactly the grants it needs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  CorsHttpMethod,
  HttpNoneAuthorizer,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { needsChannelLookups, parseConfig, type TokenVendingConfig } from '../lambda/config/schema';
import { TokenFunction } from './token-function';
import { corsPolicy, isWildcardOrigin, PREFLIGHT_ROUTE } from '../lambda/http/cors';
import { HMAC_HEADERS } from '../lambda/http/hmac';
import { activeRoutes } from '../lambda/http/routes';

export interface TokenVendingSecrets {
  /**
   * The IVS playback signing key: PEM (SEC1 or PKCS#8), or JSON `{"privateKey": PEM}`.
   * @default the managed key (generated, imported into IVS and rotated), or `playback.signingKeySecretArn`
   */
  readonly playbackKey: ISecret;
  /**
   * The coturn shared secret: a string, or JSON `{"secrets": ["current", "previous"]}`. Required when the config has `turn`.
   * @default `turn.secretArn`, or a generated one
   */
  readonly turnSecret?: ISecret;
  /**
   * LiveKit credentials, JSON `{"apiKey", "apiSecret"}`. Required when the config has `livekit`.
   * @default `livekit.credentialsSecretArn`, or generated (copy them into your LiveKit server)
   */
  readonly livekit?: ISecret;
  /**
   * Master secret of the per-room E2EE keys. Required when a room policy sets `e2ee`.
   * @default `livekit.e2eeSecretArn`, or a generated one
   */
  readonly e2ee?: ISecret;
  /**
   * Keys of HMAC-signed requests, JSON `{"<key id>": "<key>"}`. Required when `auth.type` is `hmac`.
   * @default `auth.keysSecretArn`, or generated with the key id `backend-1`
   */
  readonly hmacKeys?: ISecret;
  /**
   * Pepper of the keyed pseudonyms (viewer ids, TURN user ids).
   * @default a generated one
   */
  readonly pepper?: ISecret;
}

type SecretUse = { env: string; secret: keyof TokenVendingSecrets; optional?: boolean };
/** Which secrets each route's function reads, and the variables that name them. */
const ROUTE_SECRETS: Record<string, SecretUse[]> = {
  'playback-tokens': [
    { env: 'PLAYBACK_KEY_SECRET_ID', secret: 'playbackKey' },
    { env: 'PSEUDONYM_PEPPER_SECRET_ID', secret: 'pepper' },
  ],
  'turn-credentials': [
    { env: 'TURN_SECRET_ID', secret: 'turnSecret' },
    { env: 'PSEUDONYM_PEPPER_SECRET_ID', secret: 'pepper' },
  ],
  'viewer-revocations': [{ env: 'PSEUDONYM_PEPPER_SECRET_ID', secret: 'pepper' }],
  jwks: [{ env: 'PLAYBACK_KEY_SECRET_ID', secret: 'playbackKey' }],
  'room-tokens': [
    { env: 'LIVEKIT_SECRET_ID', secret: 'livekit' },
    { env: 'LIVEKIT_E2EE_SECRET_ID', secret: 'e2ee', optional: true },
  ],
  'hmac-authorizer': [{ env: 'AUTH_HMAC_KEYS_SECRET_ID', secret: 'hmacKeys' }],
};

export interface TokenVendingApiProps {
  readonly config: TokenVendingConfig;
  readonly secrets: TokenVendingSecrets;
  /**
   * Behind the edge: the name of the origin-verify secret (replicated into this region by the
   * edge stack). Every HTTP function reads it to refuse requests that went around CloudFront.
   */
  readonly edgeOriginSecretName?: string;
}

/** Above this many channels that need GetChannel, the grant names the account's channels, not each ARN (IAM policy size). */
const MAX_LISTED_CHANNEL_ARNS = 20;

export class TokenVendingApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The stage's access logs (JSON lines with `status`): the source of the Throttled metric. */
  readonly accessLogs: LogGroup;
  readonly functions: Record<string, TokenFunction> = {};
  private readonly configFile: { path: string; sha256: string };
  /** Does the playback function ever call IVS (needsChannelLookups)? If not, its bundle has no IVS client. */
  private readonly channelLookups: boolean;
  private readonly logLevel: string;
  private readonly edgeOriginSecretName?: string;

  constructor(scope: Construct, id: string, props: TokenVendingApiProps) {
    super(scope, id);
    const { config } = props;
    this.edgeOriginSecretName = props.edgeOriginSecretName;
    // The config travels in each function's asset (no 4 KB environment limit): one file per
    // synth, copied beside every bundle (TokenFunction). The environment holds secret ids only.
    // What the functions trust without validating again (lambda/config/runtime.ts): the
    // schema's output, even for a config built by hand rather than by parseConfig.
    const configJson = JSON.stringify(parseConfig(config, `TokenVendingApi config (${this.node.path})`));
    const configFile = { path: join(mkdtempSync(join(tmpdir(), 'token-vending-config-')), 'config.json'), sha256: createHash('sha256').update(configJson).digest('hex') };
    writeFileSync(configFile.path, configJson);
    this.configFile = configFile;
    this.channelLookups = needsChannelLookups(config);
    this.logLevel = config.observability.logLevel;

    const authorizer = this.authorizer(config, props.secrets);

    const fallback = this.tokenFunction('not-found', 'problem+json 404/405 for unmatched requests', props.secrets);
    const cors = corsPolicy(config);
    const wildcards = config.origins.allow.filter(isWildcardOrigin);
    if (wildcards.length) {
      Annotations.of(this).addWarning(
        `origins.allow ${wildcards.join(', ')}: API Gateway's CORS cannot match subdomain wildcards, so browser pages there cannot call the API; ` +
          'list each browser origin exactly. The wildcard still widens the origin claim of tokens fetched without an Origin header.',
      );
    }

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Token vending for private streams',
      createDefaultStage: false,
      // `$default` route: anything that matches no route gets a problem+json 404/405.
      defaultIntegration: new HttpLambdaIntegration('NotFoundIntegration', fallback.fn),
      defaultAuthorizer: authorizer,
      corsPreflight: cors && {
        allowOrigins: [...cors.allowOrigins],
        allowMethods: cors.allowMethods.map((m) => m as CorsHttpMethod),
        allowHeaders: [...cors.allowHeaders],
        exposeHeaders: [...cors.exposeHeaders],
        maxAge: Duration.seconds(cors.maxAgeSeconds),
      },
      disableExecuteApiEndpoint: config.api.disableExecuteApiEndpoint,
    });

    const accessLogs = (this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH }));
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.api.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No query strings, no headers, no bodies: nothing here can carry a token.
        format: AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          time: '$context.requestTimeEpoch',
          routeKey: '$context.routeKey',
          status: '$context.status',
          latency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
        })),
      },
    });

    const routeKeys = activeRoutes(config).map((r) => `${r.method} ${r.path}`);
    for (const key of Object.keys(config.api.routeThrottle)) {
      if (!routeKeys.includes(key)) throw new Error(`api.routeThrottle: no route "${key}" (routes: ${routeKeys.join(', ')})`);
    }
    if (Object.keys(config.api.routeThrottle).length) {
      (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
        Object.entries(config.api.routeThrottle).map(([key, t]) => [key, { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }]),
      );
    }

    for (const route of activeRoutes(config)) {
      const f = this.tokenFunction(route.handler, `${route.method} ${route.path}`, props.secrets);
      if (route.handler === 'playback-tokens') this.grantChannelLookups(f, config);
      if (route.handler === 'viewer-revocations') this.grantRevocations(f, config);
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method as HttpMethod],
        integration: new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, f.fn),
        // A public route (the JWKS) has no authorizer, whatever the API's default is.
        ...(route.public ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
      if (route.public) {
        Validations.of(httpRoute!).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} serves public keys only (the public halves of the playback signing keys); verifiers must fetch it without credentials.`,
        });
      }
    }

    if (cors) {
      // Preflights must not meet the authorizer that sits on `$default` (see PREFLIGHT_ROUTE);
      // API Gateway answers them from the CORS configuration above.
      const preflight = this.httpApi.addRoutes({
        path: PREFLIGHT_ROUTE.path,
        methods: [HttpMethod.OPTIONS],
        integration: new HttpLambdaIntegration('PreflightIntegration', fallback.fn),
        authorizer: new HttpNoneAuthorizer(),
      });
      for (const route of preflight) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'CORS preflights carry no credentials by the Fetch standard; API Gateway answers them from the CORS configuration, and the route mints nothing (its function answers 204/404).',
        });
      }
    }

    if (config.auth?.type === 'none') {
      Validations.of(this.httpApi).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `The config sets auth.type "none" and acknowledges: "${config.auth.acknowledge}".`,
      });
    }

    new CfnOutput(this, 'Url', {
      value: this.stage.url,
      description: config.api.disableExecuteApiEndpoint
        ? 'The execute-api URL, DISABLED (api.disableExecuteApiEndpoint): map your custom domain to this API and its $default stage'
        : 'Base URL of the token API',
    });
  }

  /**
   * The channels an IVS action may name: each configured ARN (or, when there are many, their
   * accounts' and regions' channels: an inline policy holds 10 KB), and with discovery also the
   * stack's own account and region. A configured channel in another region keeps its own
   * grant: IVS is called in the channel's region.
   */
  private channelResources(arns: string[], config: TokenVendingConfig): string[] {
    const stack = Stack.of(this);
    const accountsChannels = [...new Set(arns.map((a) => a.replace(/channel\/[A-Za-z0-9]+$/, 'channel/*')))];
    const resources = arns.length > MAX_LISTED_CHANNEL_ARNS ? accountsChannels : [...arns];
    if (config.channelDiscovery) {
      resources.push(stack.formatArn({ service: 'ivs', resource: 'channel', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
    }
    return resources;
  }

  /**
   * One IVS statement over channelResources, each wildcard acknowledged to cdk-nag; with
   * discovery also ListChannels, which the channel registry (lambda/ivs/) needs in every
   * function that looks channels up.
   */
  private grantIvs(f: TokenFunction, config: TokenVendingConfig, action: string, arns: string[], wildcardReason: string): void {
    const stack = Stack.of(this);
    const resources = this.channelResources(arns, config);
    if (config.channelDiscovery) {
      // ListChannels has no resource-level permissions: IAM needs "*" (Service Authorization
      // Reference, Amazon IVS: ListChannels lists no resource type).
      f.role.addToPolicy(new PolicyStatement({ actions: ['ivs:ListChannels'], resources: ['*'] }));
      Validations.of(f.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ivs:ListChannels (channel discovery by tag, through the channel registry) supports no resource-level permission, so its resource must be "*"; it is read-only and only the functions that look channels up (playback, revocation) have it.',
      });
    }
    if (!resources.length) return;
    f.role.addToPolicy(new PolicyStatement({ actions: [action], resources }));
    for (const r of resources.filter((a) => a.endsWith('/*'))) {
      Validations.of(f.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${iamFinding(stack, r)}]`, reason: wildcardReason });
    }
  }

  /** GetChannel for configured channels without a playbackUrl, and for discovered channels. */
  private grantChannelLookups(f: TokenFunction, config: TokenVendingConfig): void {
    this.grantIvs(f, config, 'ivs:GetChannel', config.channels.filter((c) => !c.playbackUrl).map((c) => c.arn),
      'ivs:GetChannel (read-only: a channel\'s playback URL and whether it is private) on the channels of one account and region, because discovered channels are not known at deploy time, or too many are configured to list each in a policy.');
  }

  /** StartViewerSessionRevocation on the configured channels and, with discovery, the stack's region. */
  private grantRevocations(f: TokenFunction, config: TokenVendingConfig): void {
    this.grantIvs(f, config, 'ivs:StartViewerSessionRevocation', config.channels.map((c) => c.arn),
      'ivs:StartViewerSessionRevocation on the channels of one account and region: discovered channels are not known at deploy time, or too many are configured to list each in a policy; only holders of revokeViewers reach it.');
  }

  /** A function for a handler, with exactly its own secrets (GetSecretValue only) in its role and environment. */
  private tokenFunction(handler: string, description: string, secrets: TokenVendingSecrets): TokenFunction {
    const uses = (ROUTE_SECRETS[handler] ?? []).flatMap((u) => {
      const secret = secrets[u.secret];
      if (!secret && !u.optional) throw new Error(`${description} needs the ${u.secret} secret`);
      return secret ? [{ env: u.env, secret }] : [];
    });
    const f = new TokenFunction(this, pascal(handler), {
      handler,
      description,
      environment: { POWERTOOLS_LOG_LEVEL: this.logLevel, ...Object.fromEntries(uses.map((u) => [u.env, u.secret.secretArn])) },
      config: this.configFile,
      // A first request that reads a secret waits on the SDK: bundled, it loads in a fraction
      // of the time (README "Cold starts"). Bundled, a client the request does not use is
      // never evaluated (external, Powertools' static import of it would load it at start).
      bundleAwsSdk: true,
      sdkFromRuntime: handler === 'playback-tokens' && !this.channelLookups ? ['@aws-sdk/client-ivs'] : undefined,
    });
    if (uses.length) {
      f.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: uses.map((u) => u.secret.secretArn) }));
    }
    if (this.edgeOriginSecretName && handler !== 'hmac-authorizer') {
      // By name: the secret belongs to the edge stack (us-east-1) and its replica appears here
      // when that stack deploys; `-??????` is the suffix Secrets Manager adds to the name.
      f.fn.addEnvironment('EDGE_ORIGIN_SECRET_ID', this.edgeOriginSecretName);
      const arn = Stack.of(this).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${this.edgeOriginSecretName}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      f.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [arn] }));
    }
    this.functions[handler] = f;
    return f;
  }

  /** Who may call: API Gateway's JWT authorizer, the HMAC Lambda authorizer, or (acknowledged) nobody checks. */
  private authorizer(config: TokenVendingConfig, secrets: TokenVendingSecrets): IHttpRouteAuthorizer {
    switch (config.auth?.type) {
      case 'jwt':
        return new HttpJwtAuthorizer('CallerJwt', config.auth.issuer, { jwtAudience: [...config.auth.audience] });
      case 'hmac': {
        const f = this.tokenFunction('hmac-authorizer', 'HMAC request authorizer', secrets);
        return new HttpLambdaAuthorizer('CallerHmac', f.fn, {
          responseTypes: [HttpLambdaResponseType.SIMPLE],
          identitySource: Object.values(HMAC_HEADERS).map((h) => `$request.header.${h}`),
          // Every signature is different: caching would only add a replay window.
          resultsCacheTtl: Duration.seconds(0),
        });
      }
      default:
        return new HttpNoneAuthorizer();
    }
  }
}

/** How cdk-nag names a resource in an IAM5 finding: tokens as <AWS::Region>, <AWS::AccountId>, <AWS::Partition>. */
function iamFinding(stack: Stack, arn: string): string {
  const resolved = stack.resolve(arn) as unknown;
  if (typeof resolved === 'string') return resolved;
  const parts = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
}

const pascal = (s: string) => s.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
