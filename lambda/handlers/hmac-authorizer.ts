/**
 * Lambda authorizer (HTTP API, payload 2.0, simple responses) for HMAC-signed
 * server-to-server requests. It never sees the body: it checks the signature over the
 * declared body hash, and passes that hash on for the route handler to check.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { HMAC_ISSUER, type HmacContext } from '../http/caller';
import { verifyHmacRequest } from '../http/hmac';
import { errorSummary, logger } from '../logger';
import { parseHmacKeys } from '../secrets/keys';
import { withRequestId } from '../logger';
import { runtimeSecret } from '../secrets/store';

const keys = runtimeSecret('hmacKeys', 'HMAC request-signing keys', parseHmacKeys);

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<HmacContext | Record<string, never>>;

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => withRequestId(event.requestContext.requestId, () => authorize(event));

async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> {
  let active;
  try {
    active = await keys.get();
  } catch (err) {
    logger.error('HMAC keys unavailable; refusing', { error: errorSummary(err) });
    return { isAuthorized: false, context: {} };
  }
  const verdict = verifyHmacRequest(event.headers ?? {}, event.requestContext.http.method, event.rawPath, active, Math.floor(Date.now() / 1000));
  if (!verdict.ok) {
    logger.info('HMAC request refused', { reason: verdict.reason, requestId: event.requestContext.requestId });
    return { isAuthorized: false, context: {} };
  }
  return {
    isAuthorized: true,
    context: { sub: verdict.subject, iss: HMAC_ISSUER, 'hmac:key': verdict.keyId, contentSha256: verdict.contentSha256 },
  };
};
