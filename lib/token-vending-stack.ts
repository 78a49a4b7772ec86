/** The Stack: secrets, the API construct, and the cdk-nag acknowledgements with their reasons. */
import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { assertDeployable, type TokenVendingConfig } from '../lambda/config/schema';
import { ManagedPlaybackKey } from './playback-key';
import { TokenVendingApi, type TokenVendingSecrets } from './token-vending-api';
import { originSecretName } from './token-vending-edge-stack';
import { TokenVendingOps } from './token-vending-ops';

export interface TokenVendingStackProps extends StackProps {
  readonly config: TokenVendingConfig;
}

export class TokenVendingStack extends Stack {
  readonly api: TokenVendingApi;
  readonly ops: TokenVendingOps;
  readonly secrets: TokenVendingSecrets;
  /** Absent when the config brings its own key (`playback.signingKeySecretArn`). */
  readonly managedKey?: ManagedPlaybackKey;

  constructor(scope: Construct, id: string, props: TokenVendingStackProps) {
    super(scope, id, props);
    const { config } = props;
    assertDeployable(config);

    this.secrets = {
      playbackKey: this.secret('PlaybackSigningKey', config.playback.signingKeySecretArn, {
        description: 'IVS playback signing key (managed: generated, imported into IVS and rotated by this stack; see README, "The playback key")',
        // Managed: the rotation schedule below exists, nothing to acknowledge.
        output: config.playback.signingKeySecretArn
          ? 'Your own playback key secret (README, "Bring your own key")'
          : 'The managed playback key: rotate now with aws secretsmanager rotate-secret --secret-id <arn>',
      }),
      pepper: this.secret('PseudonymPepper', undefined, {
        description: 'Pepper of the keyed pseudonyms: aws:viewer-id and TURN user ids (HMAC-SHA256)',
        generate: {},
        rotationReason:
          'Changing the pepper changes every viewer id and TURN user id at once: sessions started before could no longer be revoked. It is a long-lived key that never leaves the three functions that derive ids.',
        output: 'Pseudonym pepper (read only by the playback, TURN and viewer-revocation functions)',
      }),
      turnSecret: config.turn
        ? this.secret('TurnSharedSecret', config.turn.secretArn, {
            description: 'coturn static-auth-secret (TURN REST API): a string, or JSON {"secrets": ["current", "previous"]}',
            generate: {},
            rotationReason:
              'The TURN secret must be added to every coturn (static-auth-secret) before it signs, which Secrets Manager rotation cannot do; rotation is the add-first, drop-later procedure in the README.',
            output: 'Copy this secret into coturn: static-auth-secret=<value> (see README, "TURN")',
          })
        : undefined,
      livekit: config.livekit
        ? this.secret('LiveKitCredentials', config.livekit.credentialsSecretArn, {
            description: 'LiveKit API key and secret: JSON {"apiKey", "apiSecret"} (apiSecret at least 32 characters)',
            generate: { template: { apiKey: 'token-vending' }, key: 'apiSecret' },
            rotationReason:
              'A new LiveKit API key must be added to the LiveKit server (or Cloud project) before tokens are signed with it; that is the manual procedure in the README.',
            output: 'LiveKit credentials: put {"apiKey", "apiSecret"} of your LiveKit server here, or copy the generated ones into its keys',
          })
        : undefined,
      e2ee: config.livekit?.roomPolicies.some((p) => p.e2ee)
        ? this.secret('LiveKitE2eeSecret', config.livekit.e2eeSecretArn, {
            description: 'Master secret for per-room LiveKit E2EE keys (HKDF-SHA256); rotate rooms by e2eeEpoch in the config',
            generate: {},
            rotationReason:
              'Changing the E2EE master secret changes every room key at once and splits rooms mid-call; keys are rotated per policy with e2eeEpoch instead (README).',
            output: 'E2EE master secret (never leaves the room function)',
          })
        : undefined,
      hmacKeys:
        config.auth?.type === 'hmac'
          ? this.secret('HmacKeys', config.auth.keysSecretArn, {
              description: 'Keys of HMAC-signed server-to-server requests: JSON {"<key id>": "<key>"} (keys at least 32 characters)',
              generate: { template: {}, key: 'backend-1' },
              rotationReason:
                'A new signing key must reach the calling backends first; rotation is adding a key id, moving backends to it, then removing the old one (README).',
              output: 'HMAC signing keys for your backends (never ship them to a browser)',
            })
          : undefined,
    };

    if (!config.playback.signingKeySecretArn) {
      this.managedKey = new ManagedPlaybackKey(this, 'PlaybackKey', { config, secret: this.secrets.playbackKey as Secret });
    }
    this.api = new TokenVendingApi(this, 'Api', {
      config,
      secrets: this.secrets,
      edgeOriginSecretName: config.edge ? originSecretName(this.stackName) : undefined,
    });
    this.ops = new TokenVendingOps(this, 'Ops', {
      api: this.api,
      config,
      extraFunctions: this.managedKey && {
        'rotate-playback-key': this.managedKey.rotationFunction,
        'playback-key-resource': this.managedKey.resourceFunction,
      },
    });
  }

  /** An existing secret by full ARN, or a new one (retained on delete: it holds keys). */
  private secret(
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
      secret = Secret.fromSecretCompleteArn(this, id, existingArn);
    } else {
      const created = new Secret(this, id, {
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
    new CfnOutput(this, `${id}SecretArn`, { value: secret.secretArn, description: opts.output });
    return secret;
  }
}
