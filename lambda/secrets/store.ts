/**
 * A cached, parsed secret: one RefreshingCache per secret, errors turned into the 503 problem
 * that DESIGN.md §4 asks for when no usable value is held.
 */
import { runtimeConfig, secretSource, type SecretName } from '../config/runtime';
import { errorSummary, logger } from '../logger';
import { lookupFailed } from '../metrics';
import { unavailable } from '../http/problem';
import { RefreshingCache } from './cache';
import { SecretFormatError } from './keys';
import { secretLoader, type RawSecret, type SecretSource } from './sources';

export const RETRY_AFTER_SECONDS = 5;

export interface CachedSecret<T> {
  get(): Promise<T>;
}

export function cachedSecret<T>(
  label: string,
  source: SecretSource,
  parse: (raw: RawSecret) => T,
  ages: { maxAgeSeconds: number; maxStaleSeconds: number },
): CachedSecret<T> {
  const load = secretLoader(source);
  const cache = new RefreshingCache(async () => parse(await load()), {
    maxAgeMs: ages.maxAgeSeconds * 1000,
    maxStaleMs: ages.maxStaleSeconds * 1000,
    onRefreshError: (err, staleForMs) => {
      // Counted here while the old value keeps serving; a request that fails is counted in get().
      if (staleForMs < ages.maxStaleSeconds * 1000) lookupFailed('secret', label, { stale: true });
      logger.warn('secret refresh failed; serving the cached value', {
        secret: label,
        staleForSeconds: Math.max(0, Math.round(staleForMs / 1000)),
        error: errorSummary(err),
      });
    },
  });
  return {
    async get() {
      try {
        return await cache.get();
      } catch (err) {
        lookupFailed('secret', label);
        logger.error('secret unavailable', { secret: label, error: errorSummary(err) });
        const detail =
          err instanceof SecretFormatError
            ? `The ${label} is misconfigured; an operator has to fix it.`
            : `The ${label} cannot be loaded right now; try again shortly.`;
        throw unavailable('secret_unavailable', detail, RETRY_AFTER_SECONDS);
      }
    },
  };
}

/**
 * A handler module's secret, created on first use from the runtime config (so importing a
 * handler reads no environment) and cached for the life of the container.
 */
export function runtimeSecret<T>(
  name: SecretName,
  label: string,
  parse: (raw: RawSecret) => T,
  opts: { serveStale?: boolean } = {},
): CachedSecret<T> {
  let inner: CachedSecret<T> | undefined;
  const ages = () => {
    const { secrets } = runtimeConfig().config;
    return opts.serveStale === false ? { ...secrets, maxStaleSeconds: 0 } : secrets;
  };
  return {
    get: () => (inner ??= cachedSecret(label, secretSource(name), parse, ages())).get(),
  };
}
