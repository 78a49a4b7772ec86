/**
 * The runtime side's one reader of `process.env` (DESIGN.md §2) and of the config: read on
 * first use, validated (or, deployed, taken as the synth validated it: see runtimeConfig), frozen,
 * once per container. Everything else takes these values as
 * parameters.
 *
 * The config's carrier (DESIGN.md §6): in AWS it is a JSON file inside the function's own
 * asset, `CONFIG_ASSET_FILE` beside `index.mjs`, written at synth by lib/token-function.ts
 * from the config `cdk synth` validated. Lambda's environment holds 4 KB in all; a file in
 * the asset has no practical limit (10,000 channels are ~2 MB), is immutable and versioned
 * with the code (a config change is a new asset hash), costs one local read, and JSON.parse
 * is the fastest way V8 materializes large data (faster than the same data as a JS literal
 * compiled into the bundle, which `define` or a generated module would give). The stack
 * sets only secret ids in the environment. Locally, `bin/serve.ts` passes the config in
 * `TOKEN_VENDING_CONFIG` (JSON) or `TOKEN_VENDING_CONFIG_FILE` (a path); either, when set,
 * is read instead of the asset file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from './zod';
import { parseConfig, type TokenVendingConfig } from './schema';
import type { SecretSource } from '../secrets/sources';

/** The config file inside every function's asset (beside the bundle). */
export const CONFIG_ASSET_FILE = 'token-vending-config.json';

/**
 * The sha256 (hex) of the config file the synth validated and put beside this bundle,
 * compiled into the bundle by esbuild (`define` in lib/token-function.ts). Outside a bundle
 * (tsx, tests, `npm start`) it does not exist.
 */
declare const __TOKEN_VENDING_CONFIG_SHA256__: string | undefined;
export const CONFIG_SHA256_DEFINE = '__TOKEN_VENDING_CONFIG_SHA256__';
const SYNTH_CONFIG_SHA256 = typeof __TOKEN_VENDING_CONFIG_SHA256__ === 'string' ? __TOKEN_VENDING_CONFIG_SHA256__ : undefined;

const optional = z.optional(z.string().check(z.minLength(1)));
const envSchema = z.object({
  /** Local only: the validated config as JSON, or the path of a file holding it. */
  TOKEN_VENDING_CONFIG: optional,
  TOKEN_VENDING_CONFIG_FILE: optional,
  /** Secrets Manager ids (deployed, or local against AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  PLAYBACK_KEY_SECRET_ID: optional,
  TURN_SECRET_ID: optional,
  LIVEKIT_SECRET_ID: optional,
  LIVEKIT_E2EE_SECRET_ID: optional,
  AUTH_HMAC_KEYS_SECRET_ID: optional,
  /** Behind the edge: the origin-verify secret (name), checked before anything else (`http/edge.ts`). */
  EDGE_ORIGIN_SECRET_ID: optional,
  PSEUDONYM_PEPPER_SECRET_ID: optional,
  /** Local only: files or values in place of Secrets Manager. */
  PLAYBACK_PRIVATE_KEY_FILE: optional,
  TURN_SECRET_FILE: optional,
  TURN_STATIC_AUTH_SECRET: optional,
  LIVEKIT_API_KEY: optional,
  LIVEKIT_API_SECRET: optional,
  LIVEKIT_E2EE_SECRET_FILE: optional,
  AUTH_HMAC_KEYS: optional,
  PSEUDONYM_PEPPER_FILE: optional,
});

export type SecretName = 'playbackKey' | 'turnSecret' | 'livekit' | 'e2ee' | 'hmacKeys' | 'edgeOrigin' | 'pepper';

export interface RuntimeConfig {
  readonly config: TokenVendingConfig;
  readonly secrets: Readonly<Partial<Record<SecretName, SecretSource>>>;
}

let cached: RuntimeConfig | undefined;

export function runtimeConfig(): RuntimeConfig {
  if (cached) return cached;
  const env = envSchema.parse(process.env);
  const carried = configText(env);
  // The asset's file, byte for byte what the synth validated (parseConfig's output: defaults
  // applied), is taken as it is: validating it again would only repeat the synth's verdict and
  // costs a cold start ~10 ms (building the schema, then parsing). Any other config (local,
  // or a file that is not the synth's) goes through the schema.
  const synthValidated = carried.fromAsset && SYNTH_CONFIG_SHA256 !== undefined && sha256(carried.text) === SYNTH_CONFIG_SHA256;
  const config = synthValidated
    ? (JSON.parse(carried.text) as TokenVendingConfig)
    : parseConfig(JSON.parse(carried.text), `runtime config (${carried.source})`);
  const source = (id?: string, file?: string, value?: string): SecretSource | undefined =>
    id ? { kind: 'secretsManager', id } : file ? { kind: 'file', id: file } : value ? { kind: 'inline', id: value } : undefined;
  const secrets: RuntimeConfig['secrets'] = {
    playbackKey: source(env.PLAYBACK_KEY_SECRET_ID, env.PLAYBACK_PRIVATE_KEY_FILE),
    turnSecret: source(env.TURN_SECRET_ID, env.TURN_SECRET_FILE, env.TURN_STATIC_AUTH_SECRET),
    livekit: source(
      env.LIVEKIT_SECRET_ID,
      undefined,
      env.LIVEKIT_API_KEY && env.LIVEKIT_API_SECRET
        ? JSON.stringify({ apiKey: env.LIVEKIT_API_KEY, apiSecret: env.LIVEKIT_API_SECRET })
        : undefined,
    ),
    e2ee: source(env.LIVEKIT_E2EE_SECRET_ID, env.LIVEKIT_E2EE_SECRET_FILE),
    hmacKeys: source(env.AUTH_HMAC_KEYS_SECRET_ID, undefined, env.AUTH_HMAC_KEYS),
    edgeOrigin: source(env.EDGE_ORIGIN_SECRET_ID),
    pepper: source(env.PSEUDONYM_PEPPER_SECRET_ID, env.PSEUDONYM_PEPPER_FILE),
  };
  cached = deepFreeze({ config, secrets });
  return cached;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function configText(env: z.infer<typeof envSchema>): { text: string; source: string; fromAsset: boolean } {
  if (env.TOKEN_VENDING_CONFIG) return { text: env.TOKEN_VENDING_CONFIG, source: 'TOKEN_VENDING_CONFIG', fromAsset: false };
  // In the bundle, import.meta.url is index.mjs: the file sits beside it.
  const path = env.TOKEN_VENDING_CONFIG_FILE ?? fileURLToPath(new URL(`./${CONFIG_ASSET_FILE}`, import.meta.url));
  try {
    return { text: readFileSync(path, 'utf8'), source: path, fromAsset: !env.TOKEN_VENDING_CONFIG_FILE };
  } catch (err) {
    throw new Error(
      `token-vending config not found: ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}). ` +
        `Deployed, ${CONFIG_ASSET_FILE} is written beside the bundle at synth; locally set TOKEN_VENDING_CONFIG or TOKEN_VENDING_CONFIG_FILE.`,
    );
  }
}

/** The source of a secret this function needs; its absence is a deployment error (500). */
export function secretSource(name: SecretName): SecretSource {
  const s = runtimeConfig().secrets[name];
  if (!s) throw new Error(`no source configured for the ${name} secret`);
  return s;
}

const lifecycleEnvSchema = z.object({
  /** Comma-separated regions the managed playback key is imported into. */
  KEY_REGIONS: z.string().check(z.regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'KEY_REGIONS (comma-separated regions) is not set')),
  KEY_GRACE_SECONDS: z.coerce.number().check(z.int(), z.positive()),
});

/** The rotation function's settings (it gets no TOKEN_VENDING_CONFIG: it needs only these). */
export function keyLifecycleEnv(): { regions: string[]; graceSeconds: number } {
  const env = lifecycleEnvSchema.parse(process.env);
  return Object.freeze({ regions: env.KEY_REGIONS.split(','), graceSeconds: env.KEY_GRACE_SECONDS });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}
