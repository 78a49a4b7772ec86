/** Request bodies of the v1 routes (DESIGN.md §3). Unknown fields are refused, not ignored. */
import { z } from 'zod';
import { resolutionSchema } from '../../lib/config';

export const playbackTokenRequest = z.strictObject({
  /** A configured channel id, or that channel's ARN. */
  channel: z.string().min(1).max(256),
  ttlSeconds: z.int().positive().optional(),
  singleUse: z.boolean().optional(),
  maximumResolution: resolutionSchema.optional(),
});
export type PlaybackTokenRequest = z.infer<typeof playbackTokenRequest>;

export const turnCredentialsRequest = z.strictObject({
  ttlSeconds: z.int().positive().optional(),
});
