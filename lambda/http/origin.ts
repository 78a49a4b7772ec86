/**
 * Origin policy: which browser origins may receive a playback token, and what goes into
 * `aws:access-control-allow-origin`. The same matching serves the CORS emulation of the
 * local server (`lambda/local/cors.ts`), so a page the API answers is a page the token plays on.
 *
 * An origin is parsed strictly before anything is compared: exactly `http(s)://host[:port]`,
 * the host a dot-separated list of DNS labels (letters, digits, inner hyphens; 1-63 each).
 * Anything else (a comma, which IVS reads as a list separator; userinfo; a path, query or
 * fragment; spaces; `*`; `null`) is refused, never matched or echoed.
 */
import { forbidden } from './problem';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = `(?:${LABEL}\\.)*${LABEL}`;
const PORT = '(?::([1-9][0-9]{0,4}))?';
/** `http(s)://host[:port]`, lower case; the form browsers send in `Origin`. */
const ORIGIN = new RegExp(`^(https?)://(${HOST})${PORT}$`);
/** An allow-list entry: an origin, or `http(s)://*.domain[:port]` (any subdomain of domain). */
export const ORIGIN_PATTERN = new RegExp(`^https?://(?:\\*\\.)?${HOST}${PORT}$`);

interface Origin {
  scheme: string;
  host: string;
  port: string;
}

function parse(value: string): Origin | undefined {
  if (value.length > 300) return undefined;
  const m = ORIGIN.exec(value.toLowerCase());
  if (!m || m[2]!.length > 253 || (m[3] !== undefined && Number(m[3]) > 65_535)) return undefined;
  return { scheme: m[1]!, host: m[2]!, port: m[3] ?? '' };
}

/** The canonical (lower-case) form of a well-formed origin, or undefined for anything else. */
export function canonicalOrigin(value: string): string | undefined {
  const o = parse(value);
  return o && `${o.scheme}://${o.host}${o.port ? `:${o.port}` : ''}`;
}

/** Does the allow-list entry `pattern` admit `origin` (already strictly parsed)? */
function admits(pattern: string, o: Origin): boolean {
  const wildcard = pattern.includes('://*.');
  const p = parse(pattern.replace('://*.', '://'));
  if (!p || p.scheme !== o.scheme || p.port !== o.port) return false;
  return wildcard ? o.host.endsWith(`.${p.host}`) : o.host === p.host;
}

/** True when `origin` is well formed and equals an allowed origin or matches a `*.domain` pattern. */
export function originAllowed(origin: string, allow: readonly string[]): boolean {
  const o = parse(origin);
  return o !== undefined && allow.some((pattern) => admits(pattern, o));
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
    const origin = canonicalOrigin(requestOrigin);
    if (origin === undefined || !originAllowed(origin, allow)) {
      throw forbidden('origin_not_allowed', 'Tokens are not issued to pages served from this origin.');
    }
    return origin;
  }
  return allow.length ? allow.join(',') : undefined;
}
