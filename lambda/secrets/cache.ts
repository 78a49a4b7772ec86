/**
 * One cache for every remote value the functions depend on (signing keys, shared secrets,
 * channel lookups): it holds the *parsed* value, so a key is parsed once per `maxAge`, not
 * once per request (DESIGN.md §4).
 *
 * - fresh (age < maxAge): served from memory;
 * - older: still served at once while one background refresh runs;
 * - a failed refresh: the old value keeps serving up to maxAge + maxStale, with a warning,
 *   and the next attempt waits `retryDelay` so a throttled API is not hammered;
 * - nothing ever loaded, or too stale: the load error is thrown to the caller (503).
 */
export interface CacheOptions {
  maxAgeMs: number;
  maxStaleMs: number;
  /** Least time between two failed attempts. Default: min(maxAge, 5 s). */
  retryDelayMs?: number;
  now?: () => number;
  onRefreshError?: (err: unknown, staleForMs: number) => void;
}

export class RefreshingCache<T> {
  private value: { v: T; at: number } | undefined;
  private inflight: Promise<T> | undefined;
  private nextAttemptAt = 0;
  private lastError: unknown;
  private readonly now: () => number;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly opts: CacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async get(): Promise<T> {
    const now = this.now();
    const held = this.value;
    if (held && now - held.at < this.opts.maxAgeMs) return held.v;
    if (held && now - held.at < this.opts.maxAgeMs + this.opts.maxStaleMs) {
      if (now >= this.nextAttemptAt) this.refresh().catch(() => undefined);
      return held.v;
    }
    if (now < this.nextAttemptAt) throw this.lastError;
    return this.refresh();
  }

  private refresh(): Promise<T> {
    this.inflight ??= this.load()
      .then(
        (v) => {
          this.value = { v, at: this.now() };
          this.lastError = undefined;
          return v;
        },
        (err: unknown) => {
          const now = this.now();
          this.lastError = err;
          this.nextAttemptAt = now + (this.opts.retryDelayMs ?? Math.min(this.opts.maxAgeMs, 5_000));
          if (this.value) this.opts.onRefreshError?.(err, now - this.value.at - this.opts.maxAgeMs);
          throw err;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
