/**
 * `token-vending/cdk`: the constructs for CDK apps (package.json `exports`).
 *
 *   import { TokenVending } from 'token-vending/cdk';
 *   new TokenVending(stack, 'Tokens', { config });   // inside a stack of your app
 *
 * or the whole deployment as this project's own app builds it: `addTokenVendingStacks(app, name, config)`.
 */
export { TokenVending, type TokenVendingProps } from './token-vending';
export { TokenVendingStack, type TokenVendingStackProps } from './token-vending-stack';
export { addTokenVendingStacks, type TokenVendingStacks } from './token-vending-app';
export { TokenVendingApi, type TokenVendingApiProps, type TokenVendingSecrets } from './token-vending-api';
export { TokenVendingOps } from './token-vending-ops';
export { ManagedPlaybackKey } from './playback-key';
export { ConfigError, parseConfig, type TokenVendingConfig, type TokenVendingConfigInput } from '../lambda/config/schema';
