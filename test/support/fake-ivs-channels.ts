/**
 * A loopback IVS for channel discovery, on `serve` from fake-aws.ts: ListChannels (restJson1,
 * `POST /ListChannels`) paged with an opaque `nextToken`, and GetChannel, as the IVS API
 * reference describes them (maxResults 1-100; summaries carry arn, authorized and tags, not
 * the playbackUrl). `pageSize` can be set below 100 (IVS may return fewer than maxResults) so
 * that a handful of channels spans several pages. Modes, switchable while a test runs:
 * `throttle` (ThrottlingException, 429), `error` (500), `hang` (the request is accepted and
 * never answered: the connection swallows the reply). Every call is counted.
 */
import { error, serve, type FakeService, type Reply } from './fake-aws';

export interface FakeIvsChannel {
  arn: string;
  playbackUrl: string;
  authorized: boolean;
  tags?: Record<string, string>;
  name?: string;
}

export type IvsMode = 'ok' | 'throttle' | 'error' | 'hang';

export async function fakeIvsChannels(channels: FakeIvsChannel[], opts: { pageSize?: number } = {}) {
  const state = { mode: 'ok' as IvsMode, pageSize: opts.pageSize ?? 100 };
  const calls: FakeService['calls'] = [];
  const svc = await serve((req, body) => {
    if (state.mode === 'hang') {
      // serve() always answers: this connection swallows the answer, so none ever leaves.
      const socket = req.socket as { write: (...args: unknown[]) => boolean };
      socket.write = () => true;
      return { status: 200, body: {} };
    }
    if (state.mode === 'throttle') return { ...error('ThrottlingException', 'Rate exceeded'), status: 429 };
    if (state.mode === 'error') return error('InternalServerException', 'boom', 500);
    if (req.url === '/ListChannels') return listChannels(body);
    if (req.url === '/GetChannel') return getChannel(body);
    return error('ValidationException', `unsupported ${req.url}`);
  }, calls);

  function listChannels(body: Record<string, unknown>): Reply {
    const max = body.maxResults === undefined ? 100 : Number(body.maxResults);
    if (!Number.isInteger(max) || max < 1 || max > 100) return error('ValidationException', 'maxResults must be 1-100');
    let start = 0;
    if (body.nextToken !== undefined) {
      const m = /^page:(\d+)$/.exec(Buffer.from(String(body.nextToken), 'base64url').toString());
      if (!m) return error('ValidationException', 'invalid nextToken');
      start = Number(m[1]);
    }
    const size = Math.min(max, state.pageSize);
    const page = channels.slice(start, start + size).map((c) => ({
      arn: c.arn,
      name: c.name ?? '',
      authorized: c.authorized,
      latencyMode: 'LOW',
      type: 'STANDARD',
      insecureIngest: false,
      preset: '',
      recordingConfigurationArn: '',
      playbackRestrictionPolicyArn: '',
      tags: { ...c.tags },
    }));
    const next = start + size < channels.length ? Buffer.from(`page:${start + size}`).toString('base64url') : undefined;
    return { status: 200, body: { channels: page, ...(next ? { nextToken: next } : {}) } };
  }

  function getChannel(body: Record<string, unknown>): Reply {
    const ch = channels.find((c) => c.arn === body.arn);
    if (!ch) return { ...error('ResourceNotFoundException', 'channel not found'), status: 404 };
    return {
      status: 200,
      body: {
        channel: {
          arn: ch.arn,
          name: ch.name ?? '',
          authorized: ch.authorized,
          playbackUrl: ch.playbackUrl,
          tags: { ...ch.tags },
          latencyMode: 'LOW',
          type: 'STANDARD',
          ingestEndpoint: 'x.global-contribute.live-video.net',
        },
      },
    };
  }

  const count = (target: string) => calls.filter((c) => c.target === target).length;
  return Object.assign(svc, {
    state,
    channels,
    listChannelsCalls: () => count('POST /ListChannels'),
    getChannelCalls: (arn?: string) => calls.filter((c) => c.target === 'POST /GetChannel' && (arn === undefined || c.body.arn === arn)).length,
    /** Pages in one full listing at the current page size. */
    pages: () => Math.max(1, Math.ceil(channels.length / state.pageSize)),
  });
}
