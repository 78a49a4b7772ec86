/**
 * Response bodies of the v1 routes (DESIGN.md §3), as zod schemas: the one definition that
 * types what the handlers return (`satisfies`, type-only imports: nothing here is bundled into a
 * function; zod/mini like every schema module) and that lambda/http/openapi.ts turns into the OpenAPI document's response schemas.
 */
import * as z from '../config/zod';

const isoInstant = z.iso.datetime({ offset: false }).check(z.describe('ISO 8601 instant (UTC)'));

export const playbackTokenResponse = z
  .strictObject({
    /** The IVS playback token (ES384 JWT). */
    token: z.string().check(z.describe('The IVS playback authorization token: an ES384 JWT')),
    expiresAt: isoInstant.check(z.describe('When the token stops being accepted at playback start (its `exp`)')),
    playbackUrl: z.url().check(z.describe('The channel playback URL with `?token=<jwt>`: give it to the player as is')),
    channelArn: z.string().check(z.describe('The IVS channel the token is for (its `aws:channel-arn`)')),
  });
export type PlaybackTokenResponse = z.infer<typeof playbackTokenResponse>;

export const iceServer = z
  .strictObject({
    urls: z.array(z.string()).check(z.minLength(1)),
    username: z.optional(z.string()),
    credential: z.optional(z.string()),
  })
  .check(z.describe("A browser RTCIceServer: STUN without credentials, TURN with them"));
export type IceServerResponse = z.infer<typeof iceServer>;

export const turnCredentialsResponse = z
  .strictObject({
    username: z.string().check(z.describe('"<expiry unix seconds>:<opaque user id>" (TURN REST API)')),
    password: z.string().check(z.describe('base64(HMAC-SHA1(shared secret, username))')),
    ttl: z.int().check(z.positive(), z.describe('Seconds the credentials are valid')),
    uris: z.array(z.string()).check(z.describe('turn:/turns: URIs (draft-uberti-behave-turn-rest-00)')),
    expiresAt: isoInstant,
    iceServers: z.array(iceServer).check(z.minLength(1), z.describe('The same credentials as RTCIceServer[]: pass to new RTCPeerConnection({iceServers})')),
  });
export type TurnCredentialsResponse = z.infer<typeof turnCredentialsResponse>;

export const roomTokenResponse = z
  .strictObject({
    server_url: z.string().check(z.describe('The LiveKit server to connect to (ws:// or wss://)')),
    participant_token: z.string().check(z.describe('LiveKit access token (HS256 JWT)')),
    e2ee_key: z.optional(z.string().check(z.describe("The room's shared E2EE key (standard base64 of 32 bytes), when the room policy sets e2ee"))),
  })
  .check(z.describe("LiveKit's standard token-endpoint response (TokenSourceResponse)"));
export type RoomTokenResponse = z.infer<typeof roomTokenResponse>;

export const viewerRevocationResponse = z
  .strictObject({
    channelArn: z.string(),
    status: z.literal('revocation started'),
  });
export type ViewerRevocationResponse = z.infer<typeof viewerRevocationResponse>;

export const jwksResponse = z
  .strictObject({
    keys: z.array(
      z.strictObject({
        kty: z.literal('EC'),
        crv: z.literal('P-384'),
        x: z.string(),
        y: z.string(),
        kid: z.string().check(z.describe('RFC 7638 thumbprint (SHA-256)')),
        alg: z.literal('ES384'),
        use: z.literal('sig'),
      }),
    ),
  })
  .check(z.describe('Public halves of the playback signing keys (current and previous)'));
export type JwksResponse = z.infer<typeof jwksResponse>;

/** RFC 9457 problem details, as lambda/http/problem.ts writes them. */
export const problemBody = z
  .strictObject({
    type: z.string().check(z.describe('urn:token-vending:problem:<code>')),
    title: z.string(),
    status: z.int().check(z.gte(400), z.lte(599)),
    detail: z.string(),
    code: z.string().check(z.describe('Stable, machine-readable reason: branch on this')),
    errors: z.optional(z.array(z.strictObject({ path: z.string(), message: z.string() })).check(z.describe('400 invalid_request: one entry per invalid field'))),
  })
  .check(z.describe('RFC 9457 problem details (application/problem+json)'));
export type ProblemBody = z.infer<typeof problemBody>;

/** What API Gateway itself answers when its authorizer refuses (it cannot be customised). */
export const apiGatewayMessage = z
  .strictObject({ message: z.string() })
  .check(z.describe("API Gateway's own refusal body ({\"message\":\"Unauthorized\"} / {\"message\":\"Forbidden\"})"));
