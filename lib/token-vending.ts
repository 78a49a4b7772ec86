/**
 * Everything one token-vending deployment consists of, in a scope of your choice: the
 * secrets, the managed playback key, the API (lib/token-vending-api.ts) and its operations.
 * `TokenVendingStack` builds it into a stack of its own; `TokenVending` (below) into any
 * construct of an existing CDK app, which is what the package exports (`token-vending/cdk`).
 */
import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { assertDeployable, ConfigError, parseConfig, type TokenVendingConfig, type TokenVendingConfigInput } from '../lambda/config/schema';
import { ManagedPlaybackKey } from './playback-key';
import { TokenVendingApi, type TokenVendingSecrets } from './token-vending-api';
import { TokenVendingOps } from './token-vending-ops';

export interface TokenVendingParts {
  readonly secrets: TokenVendingSecrets;
  readonly managedKey?: ManagedPlaybackKey;
  readonly api: TokenVendingApi;
  readonly ops: TokenVendingOps;
}

/** Build the deployment into `scope` (a stack, or a construct in one). The config must be validated and deployable. */
export function addTokenVending(
  scope: Construct,
  config: TokenVendingConfig,
  opts: { secrets?: Partial<TokenVendingSecrets>; edgeOriginSecretName?: string } = {},
): TokenVendingParts {
  assertDeployable(config);
  const given = opts.secrets ?? {};
  const secrets: TokenVendingSecrets = {
    playbackKey: given.playbackKey ?? secret(scope, 'PlaybackSigningKey', config.playback.signingKeySecretArn, {
      description: 'IVS playback signing key (managed: generated, imported into IVS and rotated by this stack; see README, "The playback key")',
      // Managed: the rotation schedule below exists, nothing to acknowledge.
      output: config.playback.signingKeySecretArn
        ? 'Your own playback key secret (README, "Bring your own key")'
        : 'The managed playback key: rotate now with aws secretsmanager rotate-secret --secret-id <arn>',
    }),
    pepper: given.pepper ?? secret(scope, 'PseudonymPepper', undefined, {
      description: 'Pepper of the keyed pseudonyms: aws:viewer-id and TURN user ids (HMAC-SHA256)',
      generate: {},
      rotationReason:
        'Changing the pepper changes every viewer id and TURN user id at once: sessions started before could no longer be revoked. It is a long-lived key that never leaves the three functions that derive ids.',
      output: 'Pseudonym pepper (read only by the playback, TURN and viewer-revocation functions)',
    }),
    turnSecret: given.turnSecret ?? (config.turn
      ? secret(scope, 'TurnSharedSecret', config.turn.secretArn, {
          description: 'coturn static-auth-secret (TURN REST API): a string, or JSON {"secrets": ["current", "previous"]}',
          generate: {},
          rotationReason:
            'The TURN secret must be added to every coturn (static-auth-secret) before it signs, which Secrets Manager rotation cannot do; rotation is the add-first, drop-later procedure in the README.',
          output: 'Copy this secret into coturn: static-auth-secret=<value> (see README, "TURN")',
        })
      : undefined),
    livekit: given.livekit ?? (config.livekit
      ? secret(scope, 'LiveKitCredentials', config.livekit.credentialsSecretArn, {
          description: 'LiveKit API key and secret: JSON {"apiKey", "apiSecret"} (apiSecret at least 32 characters)',
          generate: { template: { apiKey: 'token-vending' }, key: 'apiSecret' },
          rotationReason:
            'A new LiveKit API key must be added to the LiveKit server (or Cloud project) before tokens are signed with it; that is the manual procedure in the README.',
          output: 'LiveKit credentials: put {"apiKey", "apiSecret"} of your LiveKit server here, or copy the generated ones into its keys',
        })
      : undefined),
    e2ee: given.e2ee ?? (config.livekit?.roomPolicies.some((p) => p.e2ee)
      ? secret(scope, 'LiveKitE2eeSecret', config.livekit.e2eeSecretArn, {
          description: 'Master secret for per-room LiveKit E2EE keys (HKDF-SHA256); rotate rooms by e2eeEpoch in the config',
          generate: {},
          rotationReason:
            'Changing the E2EE master secret changes every room key at once and splits rooms mid-call; keys are rotated per policy with e2eeEpoch instead (README).',
          output: 'E2EE master secret (never leaves the room function)',
        })
      : undefined),
    hmacKeys: given.hmacKeys ?? (
      config.auth?.type === 'hmac'
        ? secret(scope, 'HmacKeys', config.auth.keysSecretArn, {
            description: 'Keys of HMAC-signed server-to-server requests: JSON {"<key id>": "<key>"} (keys at least 32 characters)',
            generate: { template: {}, key: 'backend-1' },
            rotationReason:
              'A new signing key must reach the calling backends first; rotation is adding a key id, moving backends to it, then removing the old one (README).',
            output: 'HMAC signing keys for your backends (never ship them to a browser)',
          })
        : undefined),
  };


  // The managed key: generated, imported into IVS and rotated here, unless a key is brought (config ARN or your ISecret).
  const managedKey =
    config.playback.signingKeySecretArn || given.playbackKey
      ? undefined
      : new ManagedPlaybackKey(scope, 'PlaybackKey', { config, secret: secrets.playbackKey as Secret });
  const api = new TokenVendingApi(scope, 'Api', { config, secrets, edgeOriginSecretName: opts.edgeOriginSecretName });
  const ops = new TokenVendingOps(scope, 'Ops', {
    api,
    config,
    extraFunctions: managedKey && {
      'rotate-playback-key': managedKey.rotationFunction,
      'playback-key-resource': managedKey.resourceFunction,
    },
  });
  return { secrets, managedKey, api, ops };
}

/** An existing secret by full ARN, or a new one (retained on delete: it holds keys). */
function secret(
  scope: Construct,
  id: string,
  existingArn: string | undefined,
  opts: {
    description: string;
    /** Why the secret has no rotation schedule (cdk-nag SMG4); absent: it gets one. */
    rotationReason?: string;
    output: string;
    /** Generate the value: letters and digits only ('#' starts a comment in turnserver.conf). */
    generate?: { template?: Record<string, string>; key?: string };
  },
): ISecret {
  let secret: ISecret;
  if (existingArn) {
    secret = Secret.fromSecretCompleteArn(scope, id, existingArn);
  } else {
    const created = new Secret(scope, id, {
      description: opts.description,
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: opts.generate
        ? {
            passwordLength: 48,
            excludePunctuation: true,
            ...(opts.generate.key
              ? { secretStringTemplate: JSON.stringify(opts.generate.template ?? {}), generateStringKey: opts.generate.key }
              : {}),
          }
        : undefined,
    });
    if (opts.rotationReason) Validations.of(created).acknowledge({ id: 'AwsSolutions-SMG4', reason: opts.rotationReason });
    secret = created;
  }
  new CfnOutput(scope, `${id}SecretArn`, { value: secret.secretArn, description: opts.output });
  return secret;
}

export interface TokenVendingProps {
  /**
   * The config: the object `cdk.json` holds under `context.tokenVending` (README,
   * "Configuration"), validated here with the same zod schema as `cdk synth` of this project; a
   * bad config throws a `ConfigError` listing every problem by path. `auth` is required, `edge`
   * is not supported here (it needs a stack of its own in us-east-1: use `addTokenVendingStacks`).
   * Required: there is no default.
   */
  readonly config: TokenVendingConfigInput;
  /**
   * Secrets your app already defines (e.g. `Secret.fromSecretNameV2(...)`), used instead of
   * creating them (formats: `TokenVendingSecrets`). Bringing `playbackKey` turns the
   * managed key (generation, IVS import, rotation) off, as `playback.signingKeySecretArn` does.
   * @default each secret comes from its ARN in the config, or is created (and retained on delete)
   */
  readonly secrets?: Partial<TokenVendingSecrets>;
}

/**
 * The token-vending API as one construct for an existing CDK app: the HTTP API with its
 * authorizer and CORS, one function per route, the secrets, the managed playback key and its
 * rotation, the dashboard and alarms. Stack outputs (`...Url`, secret ARNs) are added to the
 * enclosing stack. One per stack.
 *
 *   import { TokenVending } from 'token-vending/cdk';
 *   const tv = new TokenVending(this, 'Tokens', { config: { channels: [...], entitlements: [...], auth: {...} } });
 *   new CfnOutput(this, 'TokenApi', { value: tv.url });
 */
export class TokenVending extends Construct {
  /** The validated config (defaults filled in). */
  readonly config: TokenVendingConfig;
  readonly api: TokenVendingApi;
  readonly ops: TokenVendingOps;
  readonly secrets: TokenVendingSecrets;
  /** Absent when the playback key is brought (config ARN or `secrets.playbackKey`). */
  readonly managedKey?: ManagedPlaybackKey;
  /** Base URL of the API (its `$default` stage), for frontends. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: TokenVendingProps) {
    super(scope, id);
    const config = parseConfig(props.config, `TokenVending config (${this.node.path})`);
    if (config.edge) {
      throw new ConfigError(
        `Invalid token-vending config (${this.node.path}):\n  - edge: not supported by the TokenVending construct (CloudFront and WAF need a stack in us-east-1); use addTokenVendingStacks(app, ...) or leave edge out`,
      );
    }
    this.config = config;
    const parts = addTokenVending(this, config, { secrets: props.secrets });
    this.secrets = parts.secrets;
    this.managedKey = parts.managedKey;
    this.api = parts.api;
    this.ops = parts.ops;
    this.url = parts.api.stage.url;
  }
}
