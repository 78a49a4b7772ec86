/** The Stack: secrets, the API construct, and the cdk-nag acknowledgements with their reasons. */
import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { assertDeployable, type TokenVendingConfig } from './config';
import { TokenVendingApi } from './token-vending-api';

export interface TokenVendingStackProps extends StackProps {
  readonly config: TokenVendingConfig;
}

export class TokenVendingStack extends Stack {
  readonly api: TokenVendingApi;
  readonly playbackSigningKey: ISecret;

  constructor(scope: Construct, id: string, props: TokenVendingStackProps) {
    super(scope, id, props);
    const { config } = props;
    assertDeployable(config);

    if (config.playback.signingKeySecretArn) {
      this.playbackSigningKey = Secret.fromSecretCompleteArn(this, 'PlaybackSigningKey', config.playback.signingKeySecretArn);
    } else {
      const secret = new Secret(this, 'PlaybackSigningKey', {
        description: 'IVS playback signing key: PEM of an ECDSA P-384 private key (see README, "Playback key")',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the playback key means importing its public half into IVS (ImportPlaybackKeyPair) before signing with it; Secrets Manager rotation cannot do that yet, so rotation is the manual procedure in the README.',
      });
      this.playbackSigningKey = secret;
    }

    this.api = new TokenVendingApi(this, 'Api', { config, playbackSigningKey: this.playbackSigningKey });

    new CfnOutput(this, 'PlaybackSigningKeySecretArn', {
      value: this.playbackSigningKey.secretArn,
      description: 'Put the playback private key PEM here: aws secretsmanager put-secret-value --secret-id <arn> --secret-string file://playback-private.pem',
    });
  }
}
