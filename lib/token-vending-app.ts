/**
 * The stacks of one deployment: the API stack in its region and, with `edge`, the edge stack
 * in us-east-1 (a CloudFront web ACL must live there). The edge reads the API's host name
 * across regions with CDK's `crossRegionReferences` (SSM parameters written by a custom
 * resource), which needs both stacks to name their account and region: an environment-
 * agnostic app cannot resolve a reference between regions, so `edge` requires an explicit
 * account and region, and a config without `edge` still synthesizes anywhere, offline.
 */
import type { App, Environment } from 'aws-cdk-lib';
import { ConfigError, type TokenVendingConfig } from '../lambda/config/schema';
import { EDGE_REGION, TokenVendingEdgeStack } from './token-vending-edge-stack';
import { TokenVendingStack } from './token-vending-stack';

export interface TokenVendingStacks {
  api: TokenVendingStack;
  edge?: TokenVendingEdgeStack;
}

export function addTokenVendingStacks(app: App, name: string, config: TokenVendingConfig, env: Environment = {}): TokenVendingStacks {
  if (!config.edge) return { api: new TokenVendingStack(app, name, { config, env }) };
  const { account, region } = env;
  if (!account || !region) {
    throw new ConfigError(
      'Invalid token-vending config:\n  - edge: needs an explicit account and region (the edge stack in us-east-1 references the API stack across regions). ' +
        'Run with AWS credentials (CDK_DEFAULT_ACCOUNT/REGION) or set context "account" and "region".',
    );
  }
  const api = new TokenVendingStack(app, name, { config, env: { account, region }, crossRegionReferences: true });
  const edge = new TokenVendingEdgeStack(app, `${name}Edge`, {
    config,
    env: { account, region: EDGE_REGION },
    crossRegionReferences: true,
    apiDomainName: `${api.api.httpApi.apiId}.execute-api.${region}.amazonaws.com`,
    apiRegion: region,
    apiStackName: api.stackName,
  });
  // The cross-region reference makes the edge stack depend on the API stack (deployed first).
  return { api, edge };
}
