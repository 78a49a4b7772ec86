/**
 * What API Gateway does before a route runs, emulated for the local server:
 * - dev mode: a fixed identity, as if a JWT authorizer had passed these claims;
 * - JWT mode (AUTH_ISSUER): HTTP API's JWT authorizer, rule for rule (token or "Bearer
 *   <token>" in Authorization; RSA algorithms only; a `kid` found in the issuer's JWKS from
 *   its discovery document; iss; aud, or client_id when there is no aud; exp, nbf, iat);
 *   claims reach the handler flattened to strings as API Gateway passes them;
 * - HMAC mode (AUTH_HMAC_KEYS): the deployed Lambda authorizer's own handler, called with
 *   the authorizer event API Gateway would build (401 if a signature header is missing, 403
 *   if the authorizer says no).
 * Refusals carry a problem+json that says why; in AWS the status is the same, the body is
 * API Gateway's own `{"message": "Unauthorized"}` / `{"message": "Forbidden"}`.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthorizerResult } from '../handlers/hmac-authorizer';
import type { HttpEvent } from '../http/handler';
import { flattenClaim } from '../http/caller';
import { HMAC_HEADERS } from '../http/hmac';

export type AuthOutcome =
  | { kind: 'jwt'; claims: Record<string, unknown> }
  | { kind: 'lambda'; context: Record<string, unknown> }
  /** `auth.type: "none"`: API Gateway runs no authorizer and passes no authorizer context. */
  | { kind: 'none' }
  | { kind: 'deny'; status: 401 | 403; detail: string };
export type Authorize = (event: HttpEvent) => Promise<AuthOutcome>;

export const devIdentity =
  (claims: Record<string, unknown>): Authorize =>
  async () => ({ kind: 'jwt', claims });

export const noAuthorizer: Authorize = async () => ({ kind: 'none' });

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
const deny = (detail: string, status: 401 | 403 = 401): AuthOutcome => ({ kind: 'deny', status, detail });

/** API Gateway passes every claim as a string; arrays become "[a b]". */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, flattenClaim(v)]));
}

export function jwtAuthorizer(issuer: string, audience: readonly string[]): Authorize {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () =>
    (jwks ??= (async () => {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`discovery document: HTTP ${res.status}`);
      const doc = (await res.json()) as { jwks_uri?: string };
      if (!doc.jwks_uri) throw new Error('discovery document has no jwks_uri');
      return createRemoteJWKSet(new URL(doc.jwks_uri), { cacheMaxAge: 2 * 60 * 60_000 });
    })().catch((err: unknown) => {
      jwks = undefined; // try again on the next request
      throw err;
    }));

  return async (event) => {
    const header = event.headers?.authorization;
    if (!header) return deny('Missing Authorization header with the bearer token.');
    const token = header.replace(/^Bearer\s+/i, '').trim();
    let protectedHeader;
    try {
      protectedHeader = decodeProtectedHeader(token);
    } catch {
      return deny('The bearer token is not a JWT.');
    }
    if (!protectedHeader.alg || !RSA_ALGORITHMS.includes(protectedHeader.alg)) return deny('The token must be signed with an RSA algorithm.');
    if (!protectedHeader.kid) return deny('The token has no kid.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), { issuer, algorithms: RSA_ALGORITHMS }));
    } catch (err) {
      return deny(describeJoseError(err));
    }
    const aud = payload.aud === undefined ? undefined : [payload.aud].flat();
    const accepted = aud ? aud.some((a) => audience.includes(a)) : typeof payload.client_id === 'string' && audience.includes(payload.client_id);
    if (!accepted) return deny('The token is for another audience.');
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000) return deny('The token was issued in the future.');
    return { kind: 'jwt', claims: flattenClaims(payload) };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The token is not valid yet.';
    if (err.claim === 'iss') return 'The token is from another issuer.';
    return `The token's ${err.claim} claim is not accepted.`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (err instanceof errors.JWKSNoMatchingKey) return "No key of the issuer matches the token's kid.";
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token must be signed with an RSA algorithm.';
  if (err instanceof errors.JOSEError) return 'The bearer token is not a valid JWT.';
  return 'The issuer keys could not be loaded.';
}

/** The HMAC Lambda authorizer, invoked as API Gateway would (identity sources checked first). */
export function lambdaAuthorizer(handler: (e: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>): Authorize {
  const identitySource = Object.values(HMAC_HEADERS);
  return async (event) => {
    const values = identitySource.map((h) => event.headers?.[h]);
    if (values.some((v) => !v)) return deny(`Signed requests need the headers ${identitySource.join(', ')}.`);
    const { authorizer: _omit, ...requestContext } = event.requestContext;
    const result = await handler({
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
      identitySource: values as string[],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      cookies: event.cookies,
      headers: event.headers,
      queryStringParameters: event.queryStringParameters,
      requestContext,
      pathParameters: event.pathParameters,
      stageVariables: event.stageVariables,
    } as APIGatewayRequestAuthorizerEventV2);
    return result.isAuthorized ? { kind: 'lambda', context: { ...result.context } } : deny('The request signature was not accepted.', 403);
  };
}
