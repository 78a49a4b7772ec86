/** POST /v1/turn-credentials: short-lived coturn REST-API credentials as RTCIceServer[]. */
import { runtimeConfig } from '../config/runtime';
import { callerFromEvent } from '../http/caller';
import { entitlementOf } from '../http/entitlements';
import { httpHandler, json } from '../http/handler';
import { forbidden, notFound } from '../http/problem';
import { turnUserIdOf } from '../http/pseudonym';
import { parseJsonBody } from '../http/request';
import type { TurnCredentialsResponse } from '../http/responses';
import { turnCredentialsRequest } from '../http/schemas';
import { parseTurnSecrets } from '../secrets/keys';
import { runtimeSecret } from '../secrets/store';
import { turnCredentials } from '../tokens/turn';
import { chooseTtl } from '../tokens/ttl';

const sharedSecrets = runtimeSecret('turnSecret', 'TURN shared secret', parseTurnSecrets);

export const handler = httpHandler('POST /v1/turn-credentials', async (event) => {
  const { config } = runtimeConfig();
  if (!config.turn) throw notFound('TURN is not configured on this deployment.');
  const caller = callerFromEvent(event, config.auth);
  const body = parseJsonBody(event, turnCredentialsRequest, { optional: true });
  if (!entitlementOf(caller, config.entitlements).turn) {
    throw forbidden('not_entitled', 'You are not entitled to TURN credentials.');
  }
  const ttlSeconds = chooseTtl(body.ttlSeconds, config.turn.ttlSeconds);
  const [[signingKey], userId] = await Promise.all([sharedSecrets.get(), turnUserIdOf(caller)]);
  return json(
    200,
    turnCredentials({
      userId,
      now: new Date(),
      ttlSeconds,
      key: signingKey!,
      uris: config.turn.uris,
    }) satisfies TurnCredentialsResponse,
  );
});
