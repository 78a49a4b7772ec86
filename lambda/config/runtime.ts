/**
 * The runtime side's one reader of `process.env` (DESIGN.md §2): read on first use, validated,
 * frozen. Everything else takes these values as parameters.
 *
 * In AWS the stack sets these variables (each function gets only its own secret's id);
 * locally `bin/serve.ts` sets them before the first request.
 */
import { z } from 'zod';
import { parseConfig, type TokenVendingConfig } from './schema';
import type { SecretSource } from '../secrets/sources';

const optional = z.string().min(1).optional();
const envSchema = z.object({
  TOKEN_VENDING_CONFIG: z.string().min(2, 'TOKEN_VENDING_CONFIG (the validated config as JSON) is not set'),
  /** Secrets Manager ids (deployed, or local against AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  PLAYBACK_KEY_SECRET_ID: optional,
  TURN_SECRET_ID: optional,
  LIVEKIT_SECRET_ID: optional,
  LIVEKIT_E2EE_SECRET_ID: optional,
  AUTH_HMAC_KEYS_SECRET_ID: optional,
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

export type SecretName = 'playbackKey' | 'turnSecret' | 'livekit' | 'e2ee' | 'hmacKeys' | 'pepper';

export interface RuntimeConfig {
  readonly config: TokenVendingConfig;
  readonly secrets: Readonly<Partial<Record<SecretName, SecretSource>>>;
}

let cached: RuntimeConfig | undefined;

export function runtimeConfig(): RuntimeConfig {
  if (cached) return cached;
  const env = envSchema.parse(process.env);
  const config = parseConfig(JSON.parse(env.TOKEN_VENDING_CONFIG), 'runtime config (TOKEN_VENDING_CONFIG)');
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
    pepper: source(env.PSEUDONYM_PEPPER_SECRET_ID, env.PSEUDONYM_PEPPER_FILE),
  };
  cached = deepFreeze({ config, secrets });
  return cached;
}

/** The source of a secret this function needs; its absence is a deployment error (500). */
export function secretSource(name: SecretName): SecretSource {
  const s = runtimeConfig().secrets[name];
  if (!s) throw new Error(`no source configured for the ${name} secret`);
  return s;
}

const lifecycleEnvSchema = z.object({
  /** Comma-separated regions the managed playback key is imported into. */
  KEY_REGIONS: z.string().regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'KEY_REGIONS (comma-separated regions) is not set'),
  KEY_GRACE_SECONDS: z.coerce.number().int().positive(),
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
