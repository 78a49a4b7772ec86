/**
 * Origin policy: which browser origins may receive a playback token, and what goes into
 * `aws:access-control-allow-origin`.
 */
import { forbidden } from './problem';

/** A serialized origin as browsers send it: scheme, DNS host name (or IPv4), optional port. */
const ORIGIN_SYNTAX = /^https?:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

/** True when `origin` equals an allowed origin or matches a `scheme://*.domain[:port]` pattern. */
export function originAllowed(origin: string, allow: readonly string[]): boolean {
  const o = origin.toLowerCase();
  // Found by fuzzing: "https://a,b.example.org" or "https://h> x.example.org" matched the
  // wildcard and went into the token's origin claim (which IVS reads as a comma-separated list).
  if (!ORIGIN_SYNTAX.test(o)) return false;
  return allow.some((pattern) => {
    const star = pattern.indexOf('://*.');
    if (star < 0) return o === pattern;
    const scheme = pattern.slice(0, star + 3);
    const suffix = pattern.slice(star + 4); // ".example.com[:port]"
    return o.startsWith(scheme) && o.endsWith(suffix) && o.length > scheme.length + suffix.length && !o.slice(scheme.length, -suffix.length).includes('/');
  });
}

/**
 * The origin claim for a request:
 * - a browser request (Origin header) gets its own origin if allowed, else 403;
 * - a request without Origin (a backend, a native app) gets the whole allow-list, so the
 *   token still plays only on the configured sites;
 * - with an empty allow-list, no claim (IVS default: any origin), and browsers are refused.
 */
export function originClaim(requestOrigin: string | undefined, allow: readonly string[]): string | undefined {
  if (requestOrigin !== undefined) {
    if (!originAllowed(requestOrigin, allow)) {
      throw forbidden('origin_not_allowed', 'Tokens are not issued to pages served from this origin.');
    }
    return requestOrigin.toLowerCase();
  }
  return allow.length ? allow.join(',') : undefined;
}
