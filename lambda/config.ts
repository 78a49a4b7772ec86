/**
 * The runtime side's one reader of `process.env` (DESIGN.md §2): read on first use, validated,
 * frozen. Everything else takes these values as parameters.
 *
 * In AWS the stack sets these variables; locally `bin/serve.ts` sets them before the first
 * request.
 */
import { z } from 'zod';
import { parseConfig, type TokenVendingConfig } from '../lib/config';

const envSchema = z.object({
  TOKEN_VENDING_CONFIG: z.string().min(2, 'TOKEN_VENDING_CONFIG (the validated config as JSON) is not set'),
  /** Secrets Manager id/ARN of the playback signing key (deployed, or local against an endpoint). */
  PLAYBACK_KEY_SECRET_ID: z.string().min(1).optional(),
  /** Local only: a PEM file with the playback signing key. */
  PLAYBACK_PRIVATE_KEY_FILE: z.string().min(1).optional(),
});

export interface RuntimeConfig {
  readonly config: TokenVendingConfig;
  readonly playbackKeySource: { readonly kind: 'secretsManager' | 'file'; readonly id: string };
}

let cached: RuntimeConfig | undefined;

export function runtimeConfig(): RuntimeConfig {
  if (cached) return cached;
  const env = envSchema.parse(process.env);
  const config = parseConfig(JSON.parse(env.TOKEN_VENDING_CONFIG), 'runtime config (TOKEN_VENDING_CONFIG)');
  const playbackKeySource = env.PLAYBACK_KEY_SECRET_ID
    ? ({ kind: 'secretsManager', id: env.PLAYBACK_KEY_SECRET_ID } as const)
    : env.PLAYBACK_PRIVATE_KEY_FILE
      ? ({ kind: 'file', id: env.PLAYBACK_PRIVATE_KEY_FILE } as const)
      : undefined;
  if (!playbackKeySource) throw new Error('Set PLAYBACK_KEY_SECRET_ID or PLAYBACK_PRIVATE_KEY_FILE');
  cached = deepFreeze({ config, playbackKeySource });
  return cached;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}
