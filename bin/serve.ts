/**
 * `npm start`: the local API on http://127.0.0.1:$PORT (default 8080), serving the same
 * handlers as AWS through an API Gateway v2 event adapter. This file is the local side's one
 * reader of process.env: it resolves config and keys, then hands them to the runtime as
 * environment variables (the config as TOKEN_VENDING_CONFIG: the deployed functions read
 * the same validated config from a file in their asset instead).
 *
 *   CONFIG_FILE               JSON config (the `tokenVending` object, or a whole cdk.json); default: dev config
 *   PLAYBACK_PRIVATE_KEY_FILE PEM playback signing key; default: a dev key generated once into .local/
 *   PLAYBACK_KEY_SECRET_ID    read the key from Secrets Manager instead (real SDK; AWS_ENDPOINT_URL_SECRETS_MANAGER works)
 *   TURN_STATIC_AUTH_SECRET   the coturn shared secret; default: a dev secret generated once into .local/
 *   TURN_SECRET_ID            read it from Secrets Manager instead
 *   LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET  default: what `livekit-server --dev` uses
 *   LIVEKIT_SECRET_ID         read {"apiKey","apiSecret"} from Secrets Manager instead
 *   LIVEKIT_E2EE_SECRET_FILE  E2EE master secret; default: generated once into .local/
 *   AUTH_ISSUER, AUTH_AUDIENCE  emulate API Gateway's JWT authorizer (OIDC issuer; audiences, comma-separated)
 *   PSEUDONYM_PEPPER_FILE     pepper of viewer / TURN user ids; default: generated once into .local/
 *   PSEUDONYM_PEPPER_SECRET_ID read it from Secrets Manager instead
 *   AUTH_HMAC_KEYS            emulate the HMAC Lambda authorizer with these keys (JSON {"<key id>": "<key>"})
 *   AUTH_HMAC_KEYS_SECRET_ID  the same, keys read from Secrets Manager (real SDK)
 *   PORT, HOST                listen address (default 8080, 127.0.0.1)
 *   AWS_ENDPOINT_URL_IVS      where GetChannel / ListChannels (channelDiscovery) go; default: AWS with your credentials
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { devConfig, parseConfig, type TokenVendingConfig } from '../lambda/config/schema';
import { devIdentity, jwtAuthorizer, lambdaAuthorizer, noAuthorizer, type Authorize } from '../lambda/local/authorizers';

const LOCAL_DIR = resolve(process.env.TOKEN_VENDING_LOCAL_DIR ?? '.local');
const DEV_CLAIMS = { sub: 'local-dev-user', iss: 'urn:token-vending:local-dev' };

function loadConfig(): TokenVendingConfig {
  const file = process.env.CONFIG_FILE;
  const raw = file ? (JSON.parse(readFileSync(file, 'utf8')) as { context?: { tokenVending?: unknown } }) : undefined;
  const config = raw ? parseConfig(raw.context?.tokenVending ?? raw, `config (${file})`) : devConfig();
  if (config.livekit && process.env.LIVEKIT_URL) {
    return parseConfig({ ...config, livekit: { ...config.livekit, url: process.env.LIVEKIT_URL } }, 'config with LIVEKIT_URL');
  }
  return config;
}

/** A random secret generated once into .local/ (mode 600); returns its path. */
function ensureDevSecret(name: string): { path: string; created: boolean } {
  const path = resolve(LOCAL_DIR, name);
  if (existsSync(path)) return { path, created: false };
  mkdirSync(LOCAL_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return { path, created: true };
}

function ensureDevPlaybackKey(): string {
  const privatePath = resolve(LOCAL_DIR, 'playback-private.pem');
  const publicPath = resolve(LOCAL_DIR, 'playback-public.pem');
  if (!existsSync(privatePath)) {
    mkdirSync(LOCAL_DIR, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
    console.log(`Generated a dev playback key pair in ${LOCAL_DIR}/`);
  }
  console.log(`Playback public key: ${publicPath}`);
  console.log(`  To play with it for real: aws ivs import-playback-key-pair --name token-vending-dev --public-key-material "file://${publicPath}"`);
  return privatePath;
}

function ensureDevTurnSecret(): string {
  const { path, created } = ensureDevSecret('turn-secret');
  if (created) console.log(`Generated a dev TURN shared secret in ${path}`);
  console.log(`TURN shared secret: ${path}. A coturn that accepts the credentials:`);
  console.log(
    `  turnserver -n --listening-ip=127.0.0.1 --listening-port=3478 --relay-ip=127.0.0.1 --use-auth-secret --static-auth-secret="$(cat ${path})" --realm=token-vending.local --fingerprint --no-tls --no-dtls --no-cli --allow-loopback-peers`,
  );
  return path;
}

/** Dev mode: no authentication configured, every request is the fixed dev user (and the demo page is served). */
const isDevMode = (config: TokenVendingConfig) =>
  !process.env.AUTH_ISSUER && !process.env.AUTH_HMAC_KEYS && !process.env.AUTH_HMAC_KEYS_SECRET_ID && config.auth?.type !== 'none';

async function chooseAuthorizer(config: TokenVendingConfig): Promise<Authorize> {
  const issuer = process.env.AUTH_ISSUER;
  if (issuer) {
    const audience = (process.env.AUTH_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    if (!audience.length) throw new Error('AUTH_ISSUER needs AUTH_AUDIENCE (the app client id(s), comma-separated)');
    console.log(`Authentication: JWT from ${issuer} for audience ${audience.join(', ')} (as API Gateway's JWT authorizer)`);
    return jwtAuthorizer(issuer, audience);
  }
  if (process.env.AUTH_HMAC_KEYS || process.env.AUTH_HMAC_KEYS_SECRET_ID) {
    const { handler } = await import('../lambda/handlers/hmac-authorizer');
    console.log('Authentication: HMAC-signed requests (as the HMAC Lambda authorizer)');
    return lambdaAuthorizer(handler);
  }
  if (config.auth?.type === 'none') {
    console.warn('Authentication: none (the config acknowledges that anyone who can reach the API can mint tokens); callers are anonymous');
    return noAuthorizer;
  }
  console.warn(
    '\n  !! DEV MODE: no authentication. Every request is treated as the signed-in user ' +
      `"${DEV_CLAIMS.sub}".\n  !! Set AUTH_ISSUER and AUTH_AUDIENCE to require real sign-in. Never expose this server beyond your machine.\n`,
  );
  return devIdentity(DEV_CLAIMS);
}

async function main(): Promise<void> {
  const config = loadConfig();
  process.env.TOKEN_VENDING_CONFIG = JSON.stringify(config);
  process.env.POWERTOOLS_LOG_LEVEL ??= config.observability.logLevel; // as the stack sets it (lib/token-vending-api.ts)
  // Concurrent requests in one process: Powertools scopes per-request state to the invocation
  // context that lambda/local/server.ts opens for each request (the store exists before any logger).
  await (await import('@aws/lambda-invoke-store')).InvokeStore.getInstanceAsync(true);
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
  if (!process.env.PLAYBACK_KEY_SECRET_ID) {
    process.env.PLAYBACK_PRIVATE_KEY_FILE ??= ensureDevPlaybackKey();
  }
  if (!process.env.PSEUDONYM_PEPPER_SECRET_ID) process.env.PSEUDONYM_PEPPER_FILE ??= ensureDevSecret('pseudonym-pepper').path;
  if (config.turn && !process.env.TURN_STATIC_AUTH_SECRET && !process.env.TURN_SECRET_ID) {
    process.env.TURN_SECRET_FILE ??= ensureDevTurnSecret();
  }

  if (config.livekit) {
    if (!process.env.LIVEKIT_SECRET_ID) {
      process.env.LIVEKIT_API_KEY ??= 'devkey';
      process.env.LIVEKIT_API_SECRET ??= 'secret';
      if (process.env.LIVEKIT_API_SECRET.length < 32) {
        console.warn(`LiveKit API secret is ${process.env.LIVEKIT_API_SECRET.length} characters (fine for livekit-server --dev; a deployment refuses under 32).`);
      }
    }
    if (!process.env.LIVEKIT_E2EE_SECRET_ID) process.env.LIVEKIT_E2EE_SECRET_FILE ??= ensureDevSecret('livekit-e2ee-secret').path;
    console.log(`LiveKit room tokens for ${config.livekit.url} (API key "${process.env.LIVEKIT_API_KEY ?? 'from Secrets Manager'}")`);
  }

  const { createLocalServer } = await import('../lambda/local/server');
  const { localConveniences } = await import('../lambda/local/conveniences');
  const demo = isDevMode(config);
  const server = await createLocalServer(config, await chooseAuthorizer(config), localConveniences({ demo }));
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  server.listen(port, host, () => {
    const { port: bound } = server.address() as AddressInfo;
    console.log(`Token vending API listening on http://${host}:${bound}`);
    // Local conveniences, not API routes: the deployed API has neither (lambda/local/conveniences.ts).
    console.log(`  OpenAPI document: http://${host}:${bound}/openapi.json`);
    if (demo) console.log(`  Demo page (dev mode only): http://${host}:${bound}/`);
    const example = config.channels[0]?.id ?? '<id of a channel tagged ' + config.channelDiscovery?.tag + '>';
    console.log(`  curl -s -X POST http://${host}:${bound}/v1/playback-tokens -H 'content-type: application/json' -d '{"channel":"${example}"}'`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
