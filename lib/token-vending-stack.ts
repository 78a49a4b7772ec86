/** The Stack: secrets, the API construct, and the cdk-nag acknowledgements with their reasons (lib/token-vending.ts). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { TokenVendingConfig } from '../lambda/config/schema';
import type { ManagedPlaybackKey } from './playback-key';
import { addTokenVending } from './token-vending';
import type { TokenVendingApi, TokenVendingSecrets } from './token-vending-api';
import { originSecretName } from './token-vending-edge-stack';
import type { TokenVendingOps } from './token-vending-ops';

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
    // Built straight into the stack (not inside a child construct): logical ids stay as they were.
    const parts = addTokenVending(this, config, { edgeOriginSecretName: config.edge ? originSecretName(this.stackName) : undefined });
    this.secrets = parts.secrets;
    this.managedKey = parts.managedKey;
    this.api = parts.api;
    this.ops = parts.ops;
  }
}
