/**
 * Token lifetimes. A requested TTL outside the configured bounds is refused, never silently
 * clamped: the caller asked for something they will not get.
 */
export class TtlError extends Error {
  override readonly name = 'TtlError';
}

export interface TtlBounds {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** The TTL to use: the request's if given and allowed, else the default; `cap` lowers the max. */
export function chooseTtl(requested: number | undefined, bounds: TtlBounds, cap = Infinity): number {
  const max = Math.min(bounds.max, cap);
  if (requested === undefined) return Math.min(bounds.default, max);
  if (!Number.isInteger(requested) || requested < bounds.min || requested > max) {
    throw new TtlError(`ttlSeconds must be an integer from ${bounds.min} to ${max}`);
  }
  return requested;
}

/** Whole seconds since the epoch: every `exp`, `nbf` and `iat` we write is in seconds. */
export const epochSeconds = (now: Date): number => Math.floor(now.getTime() / 1000);
