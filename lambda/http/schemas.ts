/**
 * Request bodies of the v1 routes (DESIGN.md §3). Unknown fields are refused, not ignored.
 * zod/mini (lambda/config/zod.ts): same validation and messages as full zod, a fraction of
 * the cold start; `z.toJSONSchema` emits JSON Schema from these as from full zod schemas.
 */
import * as z from '../config/zod';
import { AGENT_NAME, resolutionSchema } from '../config/schema';

export const playbackTokenRequest = z.strictObject({
  /** A configured channel id, or that channel's ARN. */
  channel: z.string().check(z.minLength(1), z.maxLength(256)),
  ttlSeconds: z.optional(z.int().check(z.positive())),
  singleUse: z.optional(z.boolean()),
  maximumResolution: z.optional(resolutionSchema),
});
export type PlaybackTokenRequest = z.infer<typeof playbackTokenRequest>;

export const turnCredentialsRequest = z.strictObject({
  ttlSeconds: z.optional(z.int().check(z.positive())),
});
export type TurnCredentialsRequest = z.infer<typeof turnCredentialsRequest>;

/**
 * These strings end up in other participants' UIs: no control characters, no format controls
 * (bidi overrides and isolates, zero-width characters: display-name spoofing), line or
 * paragraph separators, unpaired surrogates, private-use or unassigned code points, no
 * invisible fillers (default-ignorable code points, except the variation selectors emoji
 * need), and at least one visible character.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]|(?![\uFE00-\uFE0F])\p{Default_Ignorable_Code_Point}/u;
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u;
const printable = (max: number, min?: number) =>
  z.string().check(
    z.maxLength(max),
    z.refine((v) => !HIDDEN.test(v), 'must not contain control, format or invisible characters (bidi, zero-width, fillers)'),
    z.refine((v) => v === '' || VISIBLE.test(v), 'must contain a visible character'),
    // After the others, as `.min()` chained on last was before.
    ...(min === undefined ? [] : [z.minLength(min)]),
  );

/** LiveKit's standard token-endpoint request (TokenSourceRequest, snake_case). Absent and null are the same. */
export const roomTokenRequest = z.strictObject({
  room_name: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'room_name: 1-128 letters, digits, "_" or "-"')),
  participant_identity: z.nullish(printable(128, 1)),
  participant_name: z.nullish(printable(128)),
  participant_metadata: z.nullish(z.string().check(z.maxLength(1024))),
  participant_attributes: z.nullish(
    z.record(printable(64, 1), z.string().check(z.maxLength(512))).check(z.refine((a) => Object.keys(a).length <= 16, 'at most 16 attributes')),
  ),
  /**
   * LiveKit's RoomConfiguration with proto field names, as `TokenSource.endpoint` sends it. Only
   * agent dispatch (`agents[].agent_name`, `metadata`) may be set, and only for agents the room
   * policy lists; any other field is accepted here and refused with 403 by the handler.
   */
  room_config: z.nullish(
    z.looseObject({
      agents: z.nullish(
        z
          .array(
            z.looseObject({
              agent_name: z.string().check(z.regex(AGENT_NAME, 'agent_name: 1-128 letters, digits, "_", "-" or "."')),
              /** Handed to the agent's job as the caller wrote it. */
              metadata: z.nullish(z.string().check(z.maxLength(1024))),
            }),
          )
          .check(
            z.maxLength(8),
            z.refine((a) => new Set(a.map((d) => d.agent_name)).size === a.length, 'each agent at most once'),
          ),
      ),
    }),
  ),
});
export type RoomTokenRequest = z.infer<typeof roomTokenRequest>;

/** POST /v1/viewer-revocations (admin): whose playback sessions to end, on which channel. */
export const viewerRevocationRequest = z.strictObject({
  /** A channel id (configured or discovered), or its ARN. */
  channel: z.string().check(z.minLength(1), z.maxLength(256)),
  /** The user's `sub` at their identity provider (what the playback route saw). */
  subject: z.string().check(z.minLength(1), z.maxLength(512)),
  /** Their `iss`; default: the same issuer as the caller's. */
  issuer: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});
