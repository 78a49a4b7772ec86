/**
 * POST /v1/viewer-revocations {"channel", "subject", "issuer"?}: end a viewer's playback
 * sessions on a channel (IVS StartViewerSessionRevocation). The admin names the user; the
 * viewer id is derived here exactly as the playback route derives `aws:viewer-id`.
 */
import { ThrottlingException } from '@aws-sdk/client-ivs';
import { runtimeConfig } from '../config/runtime';
import { callerFromEvent } from '../http/caller';
import { entitlementOf } from '../http/entitlements';
import { httpHandler, json } from '../http/handler';
import { conflict, forbidden, ProblemError, unavailable } from '../http/problem';
import { viewerIdOf } from '../http/pseudonym';
import { parseJsonBody } from '../http/request';
import type { ViewerRevocationResponse } from '../http/responses';
import { viewerRevocationRequest } from '../http/schemas';
import { runtimeChannels } from '../ivs/channels';
import { revokeViewer } from '../keys/aws';
import { errorSummary, logger } from '../logger';
import { lookupFailed } from '../metrics';
import { RETRY_AFTER_SECONDS } from '../secrets/store';

export const handler = httpHandler('POST /v1/viewer-revocations', async (event) => {
  const { config } = runtimeConfig();
  const caller = callerFromEvent(event, config.auth);
  const body = parseJsonBody(event, viewerRevocationRequest);
  // The pepper loads while the channel is looked up (a cold request waits for the slower one).
  const viewerIdLoad = viewerIdOf({ issuer: body.issuer ?? caller.issuer, subject: body.subject });
  viewerIdLoad.catch(() => undefined);
  // The same registry as the playback route: configured channels, and discovered ones.
  const channel = await runtimeChannels().find(body.channel);
  if (!channel || !entitlementOf(caller, config.entitlements).mayRevokeViewers(channel)) {
    throw forbidden('not_entitled', 'You may not revoke viewers on this channel, or it does not exist.');
  }
  if (!config.playback.viewerId) {
    throw conflict('viewer_id_disabled', 'Playback tokens carry no aws:viewer-id here (playback.viewerId is off): there is no viewer session to revoke.');
  }
  const viewerId = await viewerIdLoad;
  try {
    await revokeViewer(channel.arn, viewerId);
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    lookupFailed('ivs', 'StartViewerSessionRevocation');
    if (err instanceof ThrottlingException) {
      // StartViewerSessionRevocation: about 10 TPS per account, not adjustable.
      logger.warn('StartViewerSessionRevocation throttled', { channel: channel.id });
      throw new ProblemError(429, 'ivs_throttled', 'Too Many Requests', 'IVS is throttling revocations; retry in a second.', { headers: { 'retry-after': '1' } });
    }
    logger.error('StartViewerSessionRevocation failed', { channel: channel.id, error: errorSummary(err) });
    throw unavailable('ivs_unavailable', 'IVS did not accept the revocation right now; try again shortly.', RETRY_AFTER_SECONDS);
  }
  logger.info('viewer sessions revoked', { channel: channel.id });
  return json(202, { channelArn: channel.arn, status: 'revocation started' } satisfies ViewerRevocationResponse);
});
