/**
 * The managed playback key: a custom resource (CDK provider framework) that generates the
 * ECDSA P-384 key inside AWS, stores it in the signing-key secret and imports its public half
 * into IVS in every region that needs it; a Secrets Manager rotation schedule whose function
 * rotates it within IVS's 3-key-pairs-per-region limit. Bring-your-own keys get none of this.
 */
import { Arn, CfnOutput, CustomResource, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { TokenVendingConfig } from '../lambda/config/schema';
import { keyRegions, previousKeyGraceSeconds } from '../lambda/keys/config';
import { TokenFunction } from './token-function';

export interface ManagedPlaybackKeyProps {
  readonly config: TokenVendingConfig;
  /** The signing-key secret this stack created. */
  readonly secret: Secret;
}

/**
 * Key-pair actions both lifecycle functions need (REFERENCE.md: key pairs are imported and
 * deleted, never updated). Importing *with tags* also needs ivs:TagResource: the
 * AWS::IVS::PlaybackKeyPair resource schema lists "create": [ImportPlaybackKeyPair,
 * TagResource]; rotation also tags an old key pair with the time it stopped signing.
 */
const KEY_PAIR_ACTIONS = ['ivs:ImportPlaybackKeyPair', 'ivs:TagResource', 'ivs:DeletePlaybackKeyPair', 'ivs:ListTagsForResource'];

export class ManagedPlaybackKey extends Construct {
  readonly resourceFunction: TokenFunction;
  readonly rotationFunction: TokenFunction;
  readonly regions: string[];

  constructor(scope: Construct, id: string, props: ManagedPlaybackKeyProps) {
    super(scope, id);
    const { config, secret } = props;
    this.regions = keyRegions(config);
    const graceSeconds = previousKeyGraceSeconds(config);
    const stack = Stack.of(this);
    const keyPairArns = this.regions.map((region) => Arn.format({ service: 'ivs', region, resource: 'playback-key', resourceName: '*' }, stack));
    // cdk-nag 3 acknowledges each wildcard by its exact finding, tokens written as <Pseudo::Param>.
    const shown = (v: string, pseudo: string) => (Token.isUnresolved(v) ? `<AWS::${pseudo}>` : v);
    const keyPairFindings = this.regions.map(
      (region) => `AwsSolutions-IAM5[Resource::arn:${shown(stack.partition, 'Partition')}:ivs:${region}:${shown(stack.account, 'AccountId')}:playback-key/*]`,
    );

    const grantIvs = (f: TokenFunction) => {
      f.role.addToPolicy(new PolicyStatement({ actions: KEY_PAIR_ACTIONS, resources: keyPairArns }));
      // ListPlaybackKeyPairs supports no resource-level permission (Service Authorization Reference, IVS).
      f.role.addToPolicy(new PolicyStatement({ actions: ['ivs:ListPlaybackKeyPairs'], resources: ['*'] }));
      Validations.of(f.role).acknowledge(
        ...keyPairFindings.map((id) => ({
          id,
          reason: `Key pairs get their ARNs from IVS at import: the key-pair actions are limited to playback-key/* in the key regions (${this.regions.join(', ')}).`,
        })),
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ivs:ListPlaybackKeyPairs supports no resource-level permission (Service Authorization Reference for Amazon IVS); it is the only action on "*".' },
      );
    };

    // ---- custom resource: create the key in AWS, import it; delete our key pairs with the stack
    this.resourceFunction = new TokenFunction(this, 'Resource', {
      handler: 'playback-key-resource',
      description: 'Managed playback key: generate in AWS, import into IVS (custom resource)',
      timeout: Duration.minutes(2),
      environment: { POWERTOOLS_LOG_LEVEL: config.observability.logLevel },
    });
    grantIvs(this.resourceFunction);
    this.resourceFunction.role.addToPolicy(
      new PolicyStatement({ actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [secret.secretArn] }),
    );
    const provider = new Provider(this, 'Provider', { onEventHandler: this.resourceFunction.fn });
    const onEventId = stack.getLogicalId(this.resourceFunction.fn.node.defaultChild as CfnFunction);
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The CDK provider framework's own function uses AWSLambdaBasicExecutionRole (CloudWatch Logs only); all it does is invoke our onEvent function.",
      },
      { id: `AwsSolutions-IAM5[Resource::<${onEventId}.Arn>:*]`, reason: 'The CDK provider framework may invoke any version of our onEvent function (`<arn>:*`), and nothing else.' },
    );
    const resource = new CustomResource(this, 'Key', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::IvsPlaybackKey',
      properties: { SecretArn: secret.secretArn, Regions: this.regions, GraceSeconds: String(graceSeconds) },
    });

    // ---- rotation: Secrets Manager calls the function on the schedule and on rotate-secret
    this.rotationFunction = new TokenFunction(this, 'Rotation', {
      handler: 'rotate-playback-key',
      description: 'Managed playback key: Secrets Manager rotation (IVS key pairs kept in step)',
      timeout: Duration.minutes(2),
      environment: { KEY_REGIONS: this.regions.join(','), KEY_GRACE_SECONDS: String(graceSeconds), POWERTOOLS_LOG_LEVEL: config.observability.logLevel },
    });
    grantIvs(this.rotationFunction);
    // Grants the function DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage on this secret.
    const schedule = secret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotationFunction.fn,
      automaticallyAfter: Duration.days(config.playback.rotationDays),
      // The custom resource puts the first key; rotating at deploy time would race it.
      rotateImmediatelyOnUpdate: false,
    });
    schedule.node.addDependency(resource);

    new CfnOutput(stack, 'PlaybackKeyPairArns', { value: resource.getAttString('KeyPairArns'), description: 'IVS playback key pairs of the managed key as first deployed (one per region); rotations replace them: see aws ivs list-playback-key-pairs' });
    new CfnOutput(stack, 'PlaybackKeyThumbprint', {
      value: resource.getAttString('Thumbprint'),
      description: 'RFC 7638 thumbprint of the playback key as deployed (its kid in /.well-known/jwks.json); after a rotation, the JWKS has the current one',
    });
  }
}
