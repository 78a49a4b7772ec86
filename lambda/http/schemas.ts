/** Request bodies of the v1 routes (DESIGN.md §3). Unknown fields are refused, not ignored. */
import { z } from 'zod';
import { AGENT_NAME, resolutionSchema } from '../config/schema';

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

/**
 * These strings end up in other participants' UIs: no control characters, no format controls
 * (bidi overrides and isolates, zero-width characters: display-name spoofing), line or
 * paragraph separators, unpaired surrogates, private-use or unassigned code points, no
 * invisible fillers (default-ignorable code points, except the variation selectors emoji
 * need), and at least one visible character.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]|(?![\uFE00-\uFE0F])\p{Default_Ignorable_Code_Point}/u;
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;
const printable = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !HIDDEN.test(v), 'must not contain control, format or invisible characters (bidi, zero-width, fillers)')
    .refine((v) => v === '' || VISIBLE.test(v), 'must contain a visible character');

/** LiveKit's standard token-endpoint request (TokenSourceRequest, snake_case). Absent and null are the same. */
export const roomTokenRequest = z.strictObject({
  room_name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'room_name: 1-128 letters, digits, "_" or "-"'),
  participant_identity: printable(128).min(1).nullish(),
  participant_name: printable(128).nullish(),
  participant_metadata: z.string().max(1024).nullish(),
  participant_attributes: z
    .record(printable(64).min(1), z.string().max(512))
    .refine((a) => Object.keys(a).length <= 16, 'at most 16 attributes')
    .nullish(),
  /**
   * LiveKit's RoomConfiguration with proto field names, as `TokenSource.endpoint` sends it. Only
   * agent dispatch (`agents[].agent_name`, `metadata`) may be set, and only for agents the room
   * policy lists; any other field is accepted here and refused with 403 by the handler.
   */
  room_config: z
    .looseObject({
      agents: z
        .array(
          z.looseObject({
            agent_name: z.string().regex(AGENT_NAME, 'agent_name: 1-128 letters, digits, "_", "-" or "."'),
            /** Handed to the agent's job as the caller wrote it. */
            metadata: z.string().max(1024).nullish(),
          }),
        )
        .max(8)
        .refine((a) => new Set(a.map((d) => d.agent_name)).size === a.length, 'each agent at most once')
        .nullish(),
    })
    .nullish(),
});

/** POST /v1/viewer-revocations (admin): whose playback sessions to end, on which channel. */
export const viewerRevocationRequest = z.strictObject({
  /** A channel id (configured or discovered), or its ARN. */
  channel: z.string().min(1).max(256),
  /** The user's `sub` at their identity provider (what the playback route saw). */
  subject: z.string().min(1).max(512),
  /** Their `iss`; default: the same issuer as the caller's. */
  issuer: z.string().min(1).max(512).optional(),
});
