/**
 * Channel discovery: IVS ListChannels, every page, and the pure step that turns the summaries
 * into an index of channels by id (the discovery tag's value) and ARN.
 *
 * IVS API reference, ListChannels: `POST /ListChannels` with `maxResults` 1-100 (default 100)
 * and `nextToken`; the response's `channels` are ChannelSummary objects that carry `arn`,
 * `authorized` and `tags` but no `playbackUrl` (GetChannel has it); no tag filter exists, so
 * the whole region is listed. ListChannels is 5 TPS per account and region, not adjustable
 * (IVS service quotas), which is why the result is cached for `secrets.maxAgeSeconds`.
 */
import type { IvsClient } from '@aws-sdk/client-ivs';
import { withDeadline } from '../aws/sdk';
import { CHANNEL_ID } from '../config/schema';
import type { Channel } from './channels';

/** The API's maximum page size. */
export const LIST_PAGE_SIZE = 100;
/**
 * Budget of one whole listing, every page included (each page also has the per-call deadline
 * of lambda/aws/sdk.ts). A cold container waits on it at most this long before it answers 503
 * (the function timeout is 10 s; a GetChannel may follow); a warm one serves the cached list.
 */
export const DISCOVERY_DEADLINE_MS = 5_000;

export interface ChannelSummaryLike {
  arn?: string;
  authorized?: boolean;
  tags?: Record<string, string>;
}

export interface ChannelIndex {
  byId: Map<string, Channel>;
  byArn: Map<string, Channel>;
}

/** Every channel of the client's region, page after page, within DISCOVERY_DEADLINE_MS. */
export function listAllChannels(ivs: IvsClient, budgetMs = DISCOVERY_DEADLINE_MS): Promise<ChannelSummaryLike[]> {
  return withDeadline(
    'IVS ListChannels (all pages)',
    async (listing) => {
      // Loaded on first use (see ivsClient in ./channels.ts): only discovery needs it.
      const { ListChannelsCommand } = await import('@aws-sdk/client-ivs');
      const all: ChannelSummaryLike[] = [];
      let nextToken: string | undefined;
      do {
        if (listing.aborted) throw listing.reason;
        const page = await withDeadline('IVS ListChannels', (call) =>
          ivs.send(new ListChannelsCommand({ maxResults: LIST_PAGE_SIZE, nextToken }), { abortSignal: AbortSignal.any([listing, call]) }),
        );
        all.push(...(page.channels ?? []));
        nextToken = page.nextToken || undefined;
      } while (nextToken);
      return all;
    },
    budgetMs,
  );
}

export type Warn = (key: string, message: string, attrs: Record<string, unknown>) => void;

/**
 * The discovered channels: summaries tagged with `tag` whose value is a valid channel id.
 * Skipped, with a warning: a value that is not a channel id; a channel already configured (by
 * id or ARN: the configured one wins); an id on two IVS channels (neither is served: which one
 * a token would open would be a guess).
 */
export function indexDiscovered(summaries: readonly ChannelSummaryLike[], tag: string, configured: ChannelIndex, warn: Warn): ChannelIndex {
  const byId = new Map<string, Channel>();
  const ambiguous = new Set<string>();
  for (const s of summaries) {
    const id = s.tags?.[tag];
    if (id === undefined || !s.arn) continue;
    if (!CHANNEL_ID.test(id)) {
      warn(`invalid:${s.arn}`, 'discovered channel skipped: its tag value is not a channel id (1-64 letters, digits, "_" or "-")', { arn: s.arn, tag });
      continue;
    }
    if (configured.byId.has(id) || configured.byArn.has(s.arn)) {
      warn(`configured:${s.arn}`, 'discovered channel skipped: the configured channel with the same id or ARN wins', { id, arn: s.arn });
      continue;
    }
    if (byId.has(id) || ambiguous.has(id)) {
      const other = byId.get(id);
      warn(`ambiguous:${id}`, 'discovered channel id is on several IVS channels; none of them is served', { id, arns: [other?.arn, s.arn].filter(Boolean) });
      byId.delete(id);
      ambiguous.add(id);
      continue;
    }
    byId.set(id, { id, arn: s.arn, tags: { ...s.tags }, source: 'discovery', authorized: s.authorized === true });
  }
  return { byId, byArn: new Map([...byId.values()].map((c) => [c.arn, c])) };
}
