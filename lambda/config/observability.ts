/**
 * The names the functions emit and the dashboard and alarms read (README "Operations"): one
 * list, so the two sides cannot drift. Pure constants: `lib/` imports this file.
 *
 * Every custom metric is a Count in the config's namespace, with the Powertools default
 * dimension `service` plus at most the low-cardinality dimensions named here. Never a user,
 * a requested channel or room, a token or anything else taken from a request.
 */

/** POWERTOOLS_SERVICE_NAME of every function; the `service` dimension of every custom metric. */
export const SERVICE_NAME = 'token-vending';

export const METRIC = {
  /** A 2xx answer of a token route. Dimensions: service, kind. */
  tokensIssued: 'TokensIssued',
  /** A problem+json answer (4xx or 5xx) of any route. Dimensions: service, route, code. */
  refusals: 'Refusals',
  /** A secret could not be read: a request refused for lack of it, or a failed refresh. Dimensions: service. */
  secretFailures: 'SecretFailures',
  /** An IVS GetChannel lookup failed: a request refused, or a failed refresh. Dimensions: service. */
  ivsLookupFailures: 'IvsLookupFailures',
  /** A refresh failed and the cached value (secret or channel) keeps serving. Dimensions: service. */
  staleValuesServed: 'StaleValuesServed',
  /** Powertools' cold-start metric. Dimensions: service, function_name. */
  coldStart: 'ColdStart',
  /** 429 answers, from the API's access logs (a metric filter: throttled requests never reach a function). No dimensions. */
  throttled: 'Throttled',
} as const;

export const TOKEN_KINDS = ['playback', 'turn', 'room'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Which kind of token a route key issues (the `kind` dimension of TokensIssued). */
export const TOKEN_ROUTES: Readonly<Record<string, TokenKind>> = {
  'POST /v1/playback-tokens': 'playback',
  'POST /v1/turn-credentials': 'turn',
  'POST /v1/room-tokens': 'room',
};
