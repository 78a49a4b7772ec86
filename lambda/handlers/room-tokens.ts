/**
 * POST /v1/room-tokens: LiveKit's standard token endpoint (`TokenSource.endpoint`). Grants
 * come from the room policy the caller holds, never from the request.
 */
import { runtimeConfig, secretSource } from '../config/runtime';
import { callerFromEvent } from '../http/caller';
import { entitlementOf } from '../http/entitlements';
import { httpHandler, json } from '../http/handler';
import { forbidden, notFound } from '../http/problem';
import { parseJsonBody } from '../http/request';
import type { RoomTokenResponse } from '../http/responses';
import { roomTokenRequest } from '../http/schemas';
import { LIVEKIT_MIN_SECRET_LENGTH, parseE2eeSecret, parseLiveKitCredentials } from '../secrets/keys';
import { runtimeSecret } from '../secrets/store';
import { agentDispatches, e2eeKey, roomPolicyFor, roomTokenClaims, signRoomToken } from '../tokens/room';
import { chooseTtl } from '../tokens/ttl';

// Deployed secrets must be long; the local server's LIVEKIT_API_SECRET may be `--dev`'s "secret".
const credentials = runtimeSecret('livekit', 'LiveKit credentials', (raw) =>
  parseLiveKitCredentials(raw, secretSource('livekit').kind === 'inline' ? 1 : LIVEKIT_MIN_SECRET_LENGTH),
);
const e2eeMaster = runtimeSecret('e2ee', 'E2EE master secret', parseE2eeSecret);

const notAllowed = (field: string) =>
  forbidden('field_not_allowed', `${field} may not be set by the caller for this room.`);

export const handler = httpHandler('POST /v1/room-tokens', async (event) => {
  const { config } = runtimeConfig();
  const livekit = config.livekit;
  if (!livekit) throw notFound('LiveKit is not configured on this deployment.');
  const caller = callerFromEvent(event, config.auth);
  const body = parseJsonBody(event, roomTokenRequest);

  const held = entitlementOf(caller, config.entitlements).roomPolicies;
  const policy = roomPolicyFor(body.room_name, livekit.roomPolicies, held);
  if (!policy) throw forbidden('not_entitled', 'You may not join this room, or it does not exist.');

  const identity = body.participant_identity ?? caller.identity;
  if (identity !== caller.identity && !policy.allowIdentityOverride) {
    throw forbidden('identity_not_allowed', 'participant_identity must be your own identity in this room.');
  }
  if (body.participant_metadata && !policy.allowMetadata) throw notAllowed('participant_metadata');
  if (body.participant_attributes && Object.keys(body.participant_attributes).length && !policy.allowAttributes) {
    throw notAllowed('participant_attributes');
  }
  // room_config may only dispatch the agents the policy lists (LiveKit agent dispatch).
  const dispatch = agentDispatches(body.room_config, policy.agents);
  if ('refused' in dispatch) throw notAllowed(dispatch.refused);

  const { apiKey, apiSecret } = await credentials.get();
  const claims = roomTokenClaims({
    apiKey,
    identity,
    room: body.room_name,
    policy,
    now: new Date(),
    ttlSeconds: chooseTtl(undefined, livekit.ttlSeconds),
    name: body.participant_name ?? undefined,
    metadata: body.participant_metadata ?? undefined,
    attributes: body.participant_attributes ?? undefined,
    agents: dispatch.agents,
  });
  const response: RoomTokenResponse = {
    server_url: livekit.url,
    participant_token: signRoomToken(claims, apiSecret),
  };
  if (policy.e2ee) response.e2ee_key = e2eeKey(await e2eeMaster.get(), body.room_name, policy.e2eeEpoch);
  return json(201, response);
});
