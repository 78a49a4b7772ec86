/**
 * Lambda authorizer (HTTP API, payload 2.0, simple responses) for HMAC-signed
 * server-to-server requests. It never sees the body: it checks the signature over the
 * declared body hash, and passes that hash on for the route handler to check.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { hmacIssuer, type HmacContext } from '../http/caller';
import { hmacNamespace, verifyHmacRequest } from '../http/hmac';
import { errorSummary, logger } from '../logger';
import { parseHmacKeys } from '../secrets/keys';
import { runtimeSecret } from '../secrets/store';

// Never stale: a key removed from the secret must stop working within maxAge, even while the
// secret cannot be read or parsed (then every signed request is refused until it can).
const keys = runtimeSecret('hmacKeys', 'HMAC request-signing keys', parseHmacKeys, { serveStale: false });

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<HmacContext | Record<string, never>>;

export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
  let active;
  try {
    active = await keys.get();
  } catch (err) {
    logger.error('HMAC keys unavailable; refusing', { error: errorSummary(err) });
    return { isAuthorized: false, context: {} };
  }
  const target = {
    method: event.requestContext.http.method,
    host: event.requestContext.domainName,
    path: event.rawPath,
    query: event.rawQueryString ?? '',
  };
  const verdict = verifyHmacRequest(event.headers ?? {}, target, active, Math.floor(Date.now() / 1000));
  if (!verdict.ok) {
    logger.info('HMAC request refused', { reason: verdict.reason, requestId: event.requestContext.requestId });
    return { isAuthorized: false, context: {} };
  }
  return {
    isAuthorized: true,
    context: { sub: verdict.subject, iss: hmacIssuer(hmacNamespace(verdict.keyId)), 'hmac:key': verdict.keyId, contentSha256: verdict.contentSha256 },
  };
};
