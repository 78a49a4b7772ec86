/**
 * The public keys the JWKS route serves, cached like every secret (RefreshingCache): deployed,
 * the AWSCURRENT and AWSPREVIOUS versions of the signing-key secret (GetSecretValue with
 * VersionStage); locally (a key file), the key the server signs with.
 */
import type { KeyObject } from 'node:crypto';
import { runtimeConfig, secretSource } from '../config/runtime';
import { unavailable } from '../http/problem';
import { errorSummary, logger } from '../logger';
import { lookupFailed } from '../metrics';
import { RefreshingCache } from '../secrets/cache';
import { parsePlaybackKey, SecretFormatError } from '../secrets/keys';
import { secretLoader } from '../secrets/sources';
import { RETRY_AFTER_SECONDS } from '../secrets/store';
import { AWS_CALL_DEADLINE_MS } from '../aws/sdk';
import { secretValue } from './aws';
import { jwks, type PlaybackJwk } from './material';

async function stagedKeys(secretId: string): Promise<KeyObject[]> {
  const [current, previous] = await Promise.all(
    ['AWSCURRENT', 'AWSPREVIOUS'].map((stage) => secretValue(secretId, { stage }, AWS_CALL_DEADLINE_MS)),
  );
  if (!current) throw new SecretFormatError('the signing-key secret has no AWSCURRENT value');
  const keys = [parsePlaybackKey(current.value)];
  if (previous) {
    try {
      keys.push(parsePlaybackKey(previous.value));
    } catch (err) {
      // E.g. the placeholder CloudFormation generated before the first key: nothing ever signed with it.
      if (!(err instanceof SecretFormatError)) throw err;
    }
  }
  return keys;
}

let cache: RefreshingCache<{ keys: PlaybackJwk[] }> | undefined;

export async function publicKeySet(): Promise<{ keys: PlaybackJwk[] }> {
  if (!cache) {
    const source = secretSource('playbackKey');
    const load = secretLoader(source);
    const { maxAgeSeconds, maxStaleSeconds } = runtimeConfig().config.secrets;
    cache = new RefreshingCache(async () => jwks(source.kind === 'secretsManager' ? await stagedKeys(source.id) : [parsePlaybackKey(await load())]), {
      maxAgeMs: maxAgeSeconds * 1000,
      maxStaleMs: maxStaleSeconds * 1000,
      onRefreshError: (err, staleForMs) => {
        if (staleForMs < maxStaleSeconds * 1000) lookupFailed('secret', 'playback public keys (JWKS)', { stale: true });
        logger.warn('JWKS refresh failed; serving the cached keys', { error: errorSummary(err) });
      },
    });
  }
  try {
    return await cache.get();
  } catch (err) {
    lookupFailed('secret', 'playback public keys (JWKS)');
    logger.error('JWKS unavailable', { error: errorSummary(err) });
    throw unavailable('secret_unavailable', 'The playback keys cannot be loaded right now; try again shortly.', RETRY_AFTER_SECONDS);
  }
}
