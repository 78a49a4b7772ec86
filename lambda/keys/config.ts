/** What the key lifecycle derives from the config, pure: shared by the stack (synth) and the functions. */
import type { TokenVendingConfig } from '../config/schema';

/** Regions that need the playback key: every configured channel's, plus `playback.keyRegions`. */
export function keyRegions(config: TokenVendingConfig): string[] {
  const fromChannels = config.channels.map((c) => c.arn.split(':')[3]!);
  return [...new Set([...fromChannels, ...config.playback.keyRegions])].sort();
}

/**
 * How long after a key stops being AWSCURRENT its tokens may still be presented: a signer may
 * keep the old key for `secrets.maxAgeSeconds` (+ `maxStaleSeconds` if Secrets Manager fails)
 * and a token lives up to `playback.ttlSeconds.max`. The old key pair stays imported this long.
 */
export function previousKeyGraceSeconds(config: TokenVendingConfig): number {
  return config.secrets.maxAgeSeconds + config.secrets.maxStaleSeconds + config.playback.ttlSeconds.max;
}
