/** CDK app entry: load and validate the config from `cdk.json` context, build the stack, run cdk-nag. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, parseConfig } from '../lambda/config/schema';
import { addTokenVendingStacks } from '../lib/token-vending-app';

const app = new App();
try {
  const config = parseConfig(app.node.tryGetContext('tokenVending'), 'config (cdk.json context "tokenVending")');
  addTokenVendingStacks(app, app.node.tryGetContext('stackName') ?? 'TokenVending', config, {
    account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION,
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
