/**
 * Reusable L3 construct: the HTTP API, its `$default` stage with access logs and throttling,
 * the JWT authorizer, CORS, and one function per route with exactly the grants it needs.
 */
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
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
import type { TokenVendingConfig } from '../lambda/config/schema';
import { TokenFunction } from './token-function';
import { HMAC_HEADERS } from '../lambda/http/hmac';
import { activeRoutes } from '../lambda/http/routes';

export interface TokenVendingSecrets {
  readonly playbackKey: ISecret;
  /** Required when the config has `turn`. */
  readonly turnSecret?: ISecret;
  /** Required when the config has `livekit`: JSON {"apiKey", "apiSecret"}. */
  readonly livekit?: ISecret;
  /** Required when a room policy sets `e2ee`. */
  readonly e2ee?: ISecret;
  /** Required when `auth.type` is `hmac`: JSON {"<key id>": "<key>"}. */
  readonly hmacKeys?: ISecret;
  /** Pepper of the keyed pseudonyms (viewer ids, TURN user ids). */
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
}

/** Lambda environment variables share a 4 KB budget. */
const MAX_CONFIG_ENV_BYTES = 3_500;

export class TokenVendingApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly functions: Record<string, TokenFunction> = {};

  constructor(scope: Construct, id: string, props: TokenVendingApiProps) {
    super(scope, id);
    const { config } = props;
    const configJson = JSON.stringify(config);
    if (Buffer.byteLength(configJson) > MAX_CONFIG_ENV_BYTES) {
      throw new Error(
        `token-vending config is ${Buffer.byteLength(configJson)} bytes as JSON; Lambda environment variables allow about ${MAX_CONFIG_ENV_BYTES}. Shorten it (fewer channels per stack, or channels without playbackUrl).`,
      );
    }

    const configEnv = { TOKEN_VENDING_CONFIG: configJson };
    const authorizer = this.authorizer(config, props.secrets, configEnv);

    const fallback = this.tokenFunction('not-found', 'problem+json 404/405 for unmatched requests', props.secrets, configEnv);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Token vending for private streams',
      createDefaultStage: false,
      // `$default` route: anything that matches no route gets a problem+json 404/405.
      defaultIntegration: new HttpLambdaIntegration('NotFoundIntegration', fallback.fn),
      defaultAuthorizer: authorizer,
      corsPreflight: config.origins.allow.length
        ? {
            allowOrigins: [...config.origins.allow],
            allowMethods: [CorsHttpMethod.POST],
            allowHeaders: ['authorization', 'content-type'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
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
      const f = this.tokenFunction(route.handler, `${route.method} ${route.path}`, props.secrets, configEnv);
      if (route.handler === 'playback-tokens') {
        const lookup = config.channels.filter((c) => !c.playbackUrl).map((c) => c.arn);
        if (lookup.length) f.role.addToPolicy(new PolicyStatement({ actions: ['ivs:GetChannel'], resources: lookup }));
      }
      if (route.handler === 'viewer-revocations') {
        f.role.addToPolicy(new PolicyStatement({ actions: ['ivs:StartViewerSessionRevocation'], resources: config.channels.map((c) => c.arn) }));
      }
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

    if (config.auth?.type === 'none') {
      Validations.of(this.httpApi).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `The config sets auth.type "none" and acknowledges: "${config.auth.acknowledge}".`,
      });
    }

    new CfnOutput(this, 'Url', { value: this.stage.url, description: 'Base URL of the token API' });
  }

  /** A function for a handler, with exactly its own secrets (GetSecretValue only) in its role and environment. */
  private tokenFunction(handler: string, description: string, secrets: TokenVendingSecrets, env: Record<string, string>): TokenFunction {
    const uses = (ROUTE_SECRETS[handler] ?? []).flatMap((u) => {
      const secret = secrets[u.secret];
      if (!secret && !u.optional) throw new Error(`${description} needs the ${u.secret} secret`);
      return secret ? [{ env: u.env, secret }] : [];
    });
    const f = new TokenFunction(this, pascal(handler), {
      handler,
      description,
      environment: { ...env, ...Object.fromEntries(uses.map((u) => [u.env, u.secret.secretArn])) },
    });
    if (uses.length) {
      f.role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: uses.map((u) => u.secret.secretArn) }));
    }
    this.functions[handler] = f;
    return f;
  }

  /** Who may call: API Gateway's JWT authorizer, the HMAC Lambda authorizer, or (acknowledged) nobody checks. */
  private authorizer(config: TokenVendingConfig, secrets: TokenVendingSecrets, env: Record<string, string>): IHttpRouteAuthorizer {
    switch (config.auth?.type) {
      case 'jwt':
        return new HttpJwtAuthorizer('CallerJwt', config.auth.issuer, { jwtAudience: [...config.auth.audience] });
      case 'hmac': {
        const f = this.tokenFunction('hmac-authorizer', 'HMAC request authorizer', secrets, env);
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

const pascal = (s: string) => s.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
