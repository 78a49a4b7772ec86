/**
 * The one schema of the deploy/local config (DESIGN.md §6).
 *
 * `cdk synth` validates `cdk.json` context `tokenVending` with it; `npm start` validates its
 * config file (or the dev config) with it; the Lambda functions receive the validated config
 * as a JSON file inside their asset (lambda/config/runtime.ts) and take it as validated when
 * its bytes are the synth's (any other config goes through this schema). Pure zod (zod/mini,
 * see ./zod.ts: the functions import this file, and full zod
 * would cost them ~25 ms of cold start): nothing here may import aws-cdk-lib.
 */
import * as z from './zod';
import { ORIGIN_PATTERN } from '../http/origin';

export const RESOLUTIONS = ['SD', 'HD', 'FULL_HD'] as const;
export const resolutionSchema = z.enum(RESOLUTIONS);
export type Resolution = z.infer<typeof resolutionSchema>;

/** IVS rule: with `aws:viewer-id` or `aws:single-use-uuid`, `exp` is at most 10 minutes ahead. */
export const IVS_REVOCABLE_MAX_TTL_SECONDS = 600;
/** IVS rule: strict origin enforcement accepts at most 5 origins. */
export const IVS_STRICT_ORIGIN_MAX = 5;

const IVS_CHANNEL_ARN = /^arn:aws[a-z-]*:ivs:[a-z0-9-]+:\d{12}:channel\/[A-Za-z0-9]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const secretArnSchema = () => z.string().check(z.regex(SECRET_ARN, 'must be a full Secrets Manager secret ARN'));
const bool = (d: boolean) => z._default(z.boolean(), d);

/** A channel id: what callers send as `channel`, and the value of the discovery tag. */
export const CHANNEL_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** `tag:<key>=<value>` in an entitlement's `channels` (split at the first "="). */
const TAG_SELECTOR = /^tag:([^=]{1,128})=(.{0,256})$/s;

export function parseTagSelector(selector: string): { key: string; value: string } | undefined {
  const m = TAG_SELECTOR.exec(selector);
  return m ? { key: m[1]!, value: m[2]! } : undefined;
}

/** Room patterns: exact names, or `*` standing for 1-64 of [A-Za-z0-9_-] (e.g. `class-*`). */
const ROOM_PATTERN = /^[A-Za-z0-9_*-]{1,128}$/;
/** LiveKit agent names (the `agent_name` an agent worker registers with). */
export const AGENT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const TRACK_SOURCES = ['camera', 'microphone', 'screen_share', 'screen_share_audio'] as const;

/**
 * The stage throttle is one bucket shared by every caller (HTTP APIs have no per-client
 * throttling): a global cost ceiling, not an abuse limit. Sized for an event start (100,000
 * viewers pressing play within a minute is ~1,700 requests/s), under the account's default
 * regional quota of 10,000 requests/s (burst 5,000) so that this API alone cannot starve the
 * account's other APIs. Per-client limits are the edge's job (`edge`, README "Abuse limits").
 */
export const STAGE_THROTTLE_DEFAULT = { rateLimit: 2_000, burstLimit: 4_000 } as const;

/**
 * AWS WAF rate-based statement: `Limit` is counted per aggregation key over
 * `EvaluationWindowSec`, which only takes 60, 120, 300 or 600; the lowest limit allowed is 10
 * (AWS WAF developer guide, "Rate-based rule high-level settings in AWS WAF"; API reference,
 * RateBasedStatement). WAF re-checks rates about every 10 s and limits near, not exactly at, the limit.
 */
export const WAF_RATE_WINDOWS = [60, 120, 300, 600] as const;
export const WAF_RATE_LIMIT_MIN = 10;

const ACK_NO_AUTH = 'anyone who can reach the API can mint tokens';

/**
 * Every schema of the config, built on first use (`configSchema()`): building ~200 zod objects
 * costs a cold Lambda several milliseconds, and a deployed function whose config file is the
 * one the synth validated never needs them (lambda/config/runtime.ts).
 */
function buildConfigSchemas() {
  /** AWS tag rules: keys 1-128 characters, values 0-256; keys starting with `aws:` are reserved. */
  const tagKeySchema = z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(128),
      z.refine((k) => !k.toLowerCase().startsWith('aws:'), 'tag keys starting with "aws:" are reserved by AWS'),
    );

  const channelSchema = z.strictObject({
    id: z.string().check(z.regex(CHANNEL_ID, 'channel id: 1-64 letters, digits, "_" or "-"')),
    arn: z.string().check(z.regex(IVS_CHANNEL_ARN, 'must be an IVS channel ARN: arn:aws:ivs:<region>:<account>:channel/<id>')),
    /** Optional: without it the function resolves it once per container with IVS GetChannel. */
    playbackUrl: z.optional(
      z
        .url({ protocol: /^https$/, error: 'playbackUrl must be an https URL' })
        .check(z.refine((u) => !URL.canParse(u) || !new URL(u).searchParams.has('token'), 'playbackUrl must not already carry a token parameter')),
    ),
    /** Matched by `"tag:<key>=<value>"` entitlement selectors, like a discovered channel's IVS tags. */
    tags: z.optional(z.record(tagKeySchema, z.string().check(z.maxLength(256)))),
  });

  const ttlBoundsSchema = (d: { default: number; min: number; max: number; ceiling: number }) =>
    z
      .prefault(
        z.strictObject({
          default: z._default(z.int().check(z.positive()), d.default),
          min: z._default(z.int().check(z.positive()), d.min),
          max: z._default(z.int().check(z.positive(), z.lte(d.ceiling)), d.max),
        }),
        {},
      )
      .check(z.refine((t) => t.min <= t.default && t.default <= t.max, 'ttlSeconds needs min <= default <= max'));

  /** RFC 7064 / 7065 URIs: host name, IPv4 or [IPv6], optional port, TURN transport udp|tcp. */
  const ICE_HOST = '([a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\\[[0-9a-f:.]+\\])';
  const ICE_URI = new RegExp(`^(stuns?:${ICE_HOST}(:(\\d{1,5}))?|turns?:${ICE_HOST}(:(\\d{1,5}))?(\\?transport=(udp|tcp))?)$`, 'i');
  const iceUriSchema = z.string().check(
    z.regex(ICE_URI, 'must be stun:host[:port], turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]'),
    z.refine((u) => {
      const port = /:(\d+)(\?|$)/.exec(u.replace(/\[[^\]]*\]/, ''))?.[1];
      return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
    }, 'port must be 1-65535'),
  );

  const turnSchema = z.strictObject({
    /** What clients get: stun: entries (no credentials) and turn:/turns: entries (with them). */
    uris: z
      .array(iceUriSchema)
      .check(z.minLength(1), z.refine((uris) => uris.some((u) => /^turns?:/i.test(u)), 'at least one turn: or turns: URI is needed')),
    ttlSeconds: ttlBoundsSchema({ default: 3600, min: 60, max: 86_400, ceiling: 86_400 }),
    /** An existing TURN shared-secret secret (full ARN). Absent: the stack creates one. */
    secretArn: z.optional(secretArnSchema()),
  });


  const roomPolicySchema = z.strictObject({
    name: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'policy name: 1-64 letters, digits, "_" or "-"')),
    rooms: z.array(z.string().check(z.regex(ROOM_PATTERN, 'room pattern: letters, digits, "_", "-" and "*"'))).check(z.minLength(1)),
    /**
     * What a holder may do in the room. Never taken from the request; admin grants (roomAdmin,
     * roomCreate, roomRecord, ingressAdmin, ...) do not exist here and cannot be configured.
     */
    grants: z.prefault(
      z.strictObject({
        canPublish: bool(false),
        canSubscribe: bool(true),
        canPublishData: bool(false),
        canPublishSources: z.optional(z.array(z.enum(TRACK_SOURCES))),
        canUpdateOwnMetadata: bool(false),
        hidden: bool(false),
      }),
      {},
    ),
    /** May the caller choose another `participant_identity` than their own? */
    allowIdentityOverride: bool(false),
    /** May the caller set `participant_metadata` / `participant_attributes`? (`participant_name` always.) */
    allowMetadata: bool(false),
    allowAttributes: bool(false),
    /** Hand out a per-room shared E2EE key (`e2ee_key`) with the token. */
    e2ee: bool(false),
    /** Bump to give every room of this policy a new E2EE key. */
    e2eeEpoch: z._default(z.int().check(z.gte(0)), 1),
    /**
     * LiveKit agents a holder may dispatch into the room (`room_config.agents[].agent_name` of the
     * request, written into the token's `roomConfig.agents`). Absent: no agent dispatch.
     */
    agents: z.optional(z.array(z.string().check(z.regex(AGENT_NAME, 'agent name: 1-128 letters, digits, "_", "-" or "."'))).check(z.minLength(1))),
  });

  const livekitSchema = z.strictObject({
    /** What clients connect to (`server_url`). */
    url: z.url({ protocol: /^wss?$/, error: 'livekit.url must be a ws:// or wss:// URL' }),
    ttlSeconds: ttlBoundsSchema({ default: 900, min: 60, max: 3600, ceiling: 86_400 }),
    /** Room policies in priority order: a caller gets the first one that matches the room and that they hold. */
    roomPolicies: z.array(roomPolicySchema).check(z.minLength(1)),
    /** Existing secrets (full ARNs): JSON {"apiKey", "apiSecret"}, and the E2EE master secret. */
    credentialsSecretArn: z.optional(secretArnSchema()),
    e2eeSecretArn: z.optional(secretArnSchema()),
  });

  const claimMatchSchema = z.strictObject({
    /** Claim name as the JWT authorizer passes it, e.g. `cognito:groups`, `scope`, `plan`. */
    claim: z.string().check(z.minLength(1)),
    /** The caller matches when the claim holds any of these values (arrays and space-separated strings are split). */
    anyOf: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  });

  const entitlementSchema = z.strictObject({
    name: z.string().check(z.minLength(1)),
    /** Absent: every authenticated caller matches. */
    when: z.optional(claimMatchSchema),
    /**
     * What this entitlement opens: channel ids, `"tag:<key>=<value>"` selectors (configured
     * channels' `tags`, discovered channels' IVS tags), or `"*"` for every configured and
     * discovered channel.
     */
    channels: z._default(
      z.array(
        z.string().check(
          z.refine((s) => s === '*' || CHANNEL_ID.test(s) || parseTagSelector(s) !== undefined, {
            error: (i) => `"${String(i.input)}" is neither a channel id, "*", nor a "tag:<key>=<value>" selector`,
          }),
        ),
      ),
      [],
    ),
    /**
     * Also open the channel ids listed in this claim of the caller's token (e.g. a Cognito
     * pre-token-generation trigger that puts the user's subscriptions there); read like `when`.
     */
    channelsFromClaim: z.optional(z.string().check(z.minLength(1))),
    /** Highest `aws:maximum-resolution` a holder may get. */
    maximumResolution: z._default(resolutionSchema, 'FULL_HD'),
    /** May holders get TURN credentials? */
    turn: bool(false),
    /** Names of the LiveKit room policies holders get. */
    roomPolicies: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** May holders end viewers' sessions (POST /v1/viewer-revocations) on the channels they hold? */
    revokeViewers: z.optional(z.boolean()),
  });

  const throttleSchema = (d: { rateLimit?: number; burstLimit?: number } = {}) =>
    z.strictObject({
      /** Steady-state requests per second. */
      rateLimit: z._default(z.number().check(z.positive(), z.lte(10_000)), d.rateLimit ?? 50),
      /** Bucket size for bursts. */
      burstLimit: z._default(z.int().check(z.positive(), z.lte(5_000)), d.burstLimit ?? 100),
    });
  const rateLimitSchema = (d: { requests: number; windowSeconds: (typeof WAF_RATE_WINDOWS)[number] }) =>
    z.strictObject({
      /** Requests allowed per client in each window; more are answered 429 until the rate drops. */
      requests: z._default(z.int().check(z.gte(WAF_RATE_LIMIT_MIN), z.lte(2_000_000_000)), d.requests),
      windowSeconds: z._default(
        z.literal(WAF_RATE_WINDOWS, { error: `windowSeconds must be one of ${WAF_RATE_WINDOWS.join(', ')} (AWS WAF)` }),
        d.windowSeconds,
      ),
    });

  /** An AWS managed rule group: blocking (its own actions), counting only, or off; single rules may be set to count. */
  const managedGroupSchema = z.prefault(
    z.strictObject({
      mode: z._default(z.enum(['block', 'count', 'off']), 'block'),
      /** Names of rules in the group that only count (false positives on your traffic). */
      countRules: z._default(z.array(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/))), []),
    }),
    {},
  );

  /**
   * The optional edge (README "Abuse limits"): CloudFront in front of the API with an AWS WAF
   * web ACL (in us-east-1) that limits each client, and a secret origin header so that nobody
   * goes around it.
   */
  const edgeSchema = z.strictObject({
    /** Per client IP address. Default: 600 per minute (10/s: room for many viewers behind one NAT). */
    rateLimitPerIp: z.prefault(rateLimitSchema({ requests: 600, windowSeconds: 60 }), {}),
    /**
     * Per signed-in caller, so that one account cannot rotate IP addresses around the IP limit:
     * keyed on the `Authorization` header (JWT) or the HMAC key id (`x-tv-key-id`); default: the
     * one the `auth` type uses. Requests without that header are limited by the IP rule only.
     */
    rateLimitPerCaller: z.optional(
      z.extend(rateLimitSchema({ requests: 120, windowSeconds: 60 }), { key: z.optional(z.enum(['authorization', 'hmac-key-id'])) }),
    ),
    managedRules: z.prefault(
      z.strictObject({
        /** AWSManagedRulesAmazonIpReputationList: bots, scanners and known malicious sources. */
        ipReputation: managedGroupSchema,
        /** AWSManagedRulesKnownBadInputsRuleSet: Log4j/Java deserialization probes, localhost Host headers and such. */
        knownBadInputs: managedGroupSchema,
      }),
      {},
    ),
    /** Bump after changing the origin-verify secret: redeploying the edge makes CloudFront send the new value (README). */
    originSecretEpoch: z._default(z.int().check(z.gte(1)), 1),
  });
  const authSchema = z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('jwt'),
      /** OIDC issuer URL (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>). */
      issuer: z.url({ protocol: /^https$/, error: 'auth.issuer must be an https URL' }),
      audience: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    }),
    z.strictObject({
      /** Server-to-server: requests signed with shared keys, checked by a Lambda authorizer. */
      type: z.literal('hmac'),
      /** Existing secret with JSON {"<key id>": "<key>", ...}. Absent: the stack creates one. */
      keysSecretArn: z.optional(secretArnSchema()),
      /**
       * Host names clients may sign besides the one API Gateway serves (its execute-api or custom
       * domain): the CloudFront alias or domain in front of the API. Lower case, no port.
       */
      hosts: z._default(
        z
          .array(
            z
              .string()
              .check(z.regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a lower-case DNS name like api.example.com')),
          )
          .check(z.maxLength(10)),
        [],
      ),
    }),
    z.strictObject({
      type: z.literal('none'),
      acknowledge: z.literal(ACK_NO_AUTH, {
        error: `auth.type "none" needs acknowledge: "${ACK_NO_AUTH}"`,
      }),
    }),
  ]);

  /** Operations (README "Operations"): log level, EMF metrics, dashboard. Everything on by default. */
  const observabilitySchema = z.prefault(
    z.strictObject({
      /** POWERTOOLS_LOG_LEVEL of every function (and of `npm start`). DEBUG is for a short investigation only. */
      logLevel: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
      metrics: z.prefault(
        z.strictObject({
          /** CloudWatch embedded-metric-format lines (tokens issued, refusals, secret/IVS failures, cold starts). */
          enabled: bool(true),
          /** CloudWatch namespace: give each stack in one account and region its own. */
          namespace: z._default(
            z
              .string()
              .check(
                z.regex(/^[A-Za-z0-9._\/#:-]{1,255}$/, 'namespace: 1-255 of letters, digits and . - _ / # :'),
                z.refine((n) => !n.startsWith('AWS/'), 'namespace must not start with "AWS/" (reserved)'),
              ),
            'TokenVending',
          ),
        }),
        {},
      ),
      /** A CloudWatch dashboard in the stack. */
      dashboard: bool(true),
    }),
    {},
  );

  const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
  /** CloudWatch alarms in the stack (README "Operations" has the runbook). Thresholds are per `periodMinutes`. */
  const int = (min: number, max?: number) => z.int().check(...(max === undefined ? [z.gte(min)] : [z.gte(min), z.lte(max)]));
  const alarmsSchema = z.prefault(
    z.strictObject({
      enabled: bool(true),
      periodMinutes: z._default(int(1, 60), 5),
      /** API Gateway 5xx as a percentage of requests, when at least `serverErrorMinRequests` came in. */
      serverErrorRatePercent: z._default(z.number().check(z.positive(), z.lte(100)), 1),
      serverErrorMinRequests: z._default(int(1), 10),
      /** 429 answers (stage or route throttling) in a period. */
      throttledRequests: z._default(int(1), 10),
      /** Failed secret reads (a request refused for lack of a secret, or a failed refresh) in a period. */
      secretFailures: z._default(int(1), 1),
      /** Failed IVS GetChannel lookups in a period. */
      ivsLookupFailures: z._default(int(1), 1),
      /** Errors of any one function (crash, timeout, out of memory: the handlers answer problem+json otherwise). */
      lambdaErrors: z._default(int(1), 1),
      /** Where alarms (and their recovery) are sent. Absent: alarms only show on the dashboard and console. */
      notify: z.optional(
        z.strictObject({
          /** An existing SNS topic (e.g. your on-call tool's). Absent: the stack creates one. */
          topicArn: z.optional(z.string().check(z.regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN: arn:aws:sns:<region>:<account>:<name>'))),
          /** E-mail addresses subscribed to the topic (each has to confirm the subscription). */
          emails: z._default(z.array(z.email({ error: 'notify.emails: not an e-mail address' })), []),
        }),
      ),
    }),
    {},
  );

  const configSchema = z
    .strictObject({
      /** Configured channels; may be empty when `channelDiscovery` finds them instead. */
      channels: z._default(z.array(channelSchema), []),
      /**
       * Channels discovered at run time: every IVS channel of the stack's region that carries
       * this tag is a channel whose id is the tag's value (IVS ListChannels, refreshed after
       * `secrets.maxAgeSeconds`). A configured channel wins over a discovered one.
       */
      channelDiscovery: z.optional(z.strictObject({ tag: tagKeySchema })),
      origins: z.prefault(
        z.strictObject({
          /** Browser origins that may receive playback tokens; a request from any other Origin gets 403. */
          allow: z._default(
            z.array(
              z
                .string()
                .check(
                  z.regex(ORIGIN_PATTERN, 'origin must look like https://app.example.com, http://localhost:3000 or https://*.example.com (lower case, no path)'),
                  z.refine((o) => Number(/:(\d+)$/.exec(o)?.[1] ?? 1) <= 65_535, 'port must be 1-65535'),
                  z.refine((o) => !o.includes('://*.') || /:\/\/\*\.[^.:]+\.[^.:]+/.test(o), 'a wildcard needs at least two labels after "*." (not https://*.com)'),
                ),
            ),
            [],
          ),
          /** Sets `aws:strict-origin-enforcement` (IVS allows at most 5 origins then). */
          strictOriginEnforcement: bool(false),
        }),
        {},
      ),
      playback: z.prefault(
        z.strictObject({
          ttlSeconds: ttlBoundsSchema({ default: 300, min: 30, max: 3600, ceiling: 86_400 }),
          /** Put a pseudonymous `aws:viewer-id` in every token (needed for viewer revocation; caps TTL at 600 s). */
          viewerId: bool(false),
          /**
           * An existing signing-key secret (full ARN): bring your own key, imported into IVS and
           * rotated by you. Absent: the stack creates a managed key, imports it and rotates it.
           */
          signingKeySecretArn: z.optional(secretArnSchema()),
          /** Managed key: rotate every this many days (Secrets Manager rotation schedule). */
          rotationDays: z._default(int(1, 365), 30),
          /** Managed key: regions to import it into besides those of the configured channels (for discovered channels). */
          keyRegions: z._default(z.array(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1'))), []),
        }),
        {},
      ),
      secrets: z.prefault(
        z.strictObject({
          /** A cached secret is refreshed (in the background of a request) after this many seconds. */
          maxAgeSeconds: z._default(int(1, 86_400), 300),
          /** If a refresh fails, a cached value keeps serving this much longer, with a warning. */
          maxStaleSeconds: z._default(int(0, 7 * 86_400), 3600),
        }),
        {},
      ),
      /** TURN credentials for coturn's REST API; absent: no /v1/turn-credentials route. */
      turn: z.optional(turnSchema),
      /** LiveKit room tokens; absent: no /v1/room-tokens route. */
      livekit: z.optional(livekitSchema),
      entitlements: z.array(entitlementSchema).check(z.minLength(1, 'at least one entitlement is needed, or nobody gets a token')),
      auth: z.optional(authSchema),
      /** Cost ceilings: stage-wide throttling, and overrides per route key ("POST /v1/room-tokens"). Per-client limits: `edge`. */
      api: z.prefault(
        z.strictObject({
          /** The stage-wide bucket shared by all callers: a cost ceiling (see STAGE_THROTTLE_DEFAULT). */
          throttle: z.prefault(throttleSchema(STAGE_THROTTLE_DEFAULT), {}),
          routeThrottle: z._default(
            z.record(z.string().check(z.regex(/^(GET|POST) \/v1\/[a-z-]+$/, 'route key like "POST /v1/room-tokens"')), throttleSchema()),
            {},
          ),
          /**
           * Turn off the default `execute-api` endpoint, for a deployment that is reached only
           * through a custom domain, CloudFront or WAF (so nobody can go around them).
           */
          disableExecuteApiEndpoint: bool(false),
        }),
        {},
      ),
      observability: observabilitySchema,
      alarms: alarmsSchema,
      /** CloudFront + AWS WAF in front of the API: per-client rate limits (absent: none, only the stage throttle). */
      edge: z.optional(edgeSchema),
    })
    .check(
      z.superRefine((c, ctx) => {
        if (c.edge && c.api.disableExecuteApiEndpoint) {
          ctx.addIssue({
            code: 'custom',
            path: ['api', 'disableExecuteApiEndpoint'],
            message: 'the edge reaches the API at its execute-api endpoint (the secret origin header keeps others out); do not disable it together with edge',
          });
        }
        const ids = new Set<string>();
        const arns = new Set<string>();
        c.channels.forEach((ch, i) => {
          if (ids.has(ch.id)) ctx.addIssue({ code: 'custom', path: ['channels', i, 'id'], message: `duplicate channel id "${ch.id}"` });
          if (arns.has(ch.arn)) ctx.addIssue({ code: 'custom', path: ['channels', i, 'arn'], message: `duplicate channel ARN` });
          ids.add(ch.id);
          arns.add(ch.arn);
        });
        if (c.channels.length === 0 && !c.channelDiscovery) {
          ctx.addIssue({ code: 'custom', path: ['channels'], message: 'at least one channel is needed (or channelDiscovery)' });
        }
        // With discovery, an id that is not configured may still be discovered at run time.
        if (!c.channelDiscovery) {
          c.entitlements.forEach((e, i) =>
            e.channels.forEach((id, j) => {
              if (id !== '*' && !id.startsWith('tag:') && !ids.has(id)) {
                ctx.addIssue({ code: 'custom', path: ['entitlements', i, 'channels', j], message: `unknown channel id "${id}"` });
              }
            }),
          );
        }
        const policies = new Set<string>();
        c.livekit?.roomPolicies.forEach((p, i) => {
          if (policies.has(p.name)) ctx.addIssue({ code: 'custom', path: ['livekit', 'roomPolicies', i, 'name'], message: `duplicate room policy "${p.name}"` });
          policies.add(p.name);
        });
        c.entitlements.forEach((e, i) =>
          e.roomPolicies.forEach((name, j) => {
            if (!policies.has(name)) {
              ctx.addIssue({ code: 'custom', path: ['entitlements', i, 'roomPolicies', j], message: `unknown room policy "${name}"` });
            }
          }),
        );
        if (c.origins.strictOriginEnforcement) {
          const n = c.origins.allow.length;
          if (n < 1 || n > IVS_STRICT_ORIGIN_MAX) {
            ctx.addIssue({
              code: 'custom',
              path: ['origins', 'allow'],
              message: `strictOriginEnforcement needs 1 to ${IVS_STRICT_ORIGIN_MAX} allowed origins (IVS limit), got ${n}`,
            });
          }
        }
        if (c.playback.viewerId && c.playback.ttlSeconds.default > IVS_REVOCABLE_MAX_TTL_SECONDS) {
          ctx.addIssue({
            code: 'custom',
            path: ['playback', 'ttlSeconds', 'default'],
            message: `with viewerId the default TTL must be <= ${IVS_REVOCABLE_MAX_TTL_SECONDS} s (IVS rule)`,
          });
        }
      }),
    );
  return { configSchema, channelSchema, roomPolicySchema, entitlementSchema, edgeSchema, rateLimitSchema };
}

type Schemas = ReturnType<typeof buildConfigSchemas>;
let built: Schemas | undefined;

/** The config schema (built once, on first use). */
export function configSchema(): Schemas['configSchema'] {
  return (built ??= buildConfigSchemas()).configSchema;
}

export type TokenVendingConfig = z.infer<Schemas['configSchema']>;
/** What a config file or `cdk.json` context holds before defaults are applied. */
export type TokenVendingConfigInput = z.input<Schemas['configSchema']>;
export type ChannelConfig = z.infer<Schemas['channelSchema']>;
export type RoomPolicy = z.infer<Schemas['roomPolicySchema']>;
export type EntitlementConfig = z.infer<Schemas['entitlementSchema']>;
export type EdgeConfig = z.infer<Schemas['edgeSchema']>;
export type RateLimit = z.infer<ReturnType<Schemas['rateLimitSchema']>>;


export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validate a config; a bad one throws a ConfigError listing every problem with its path. */
export function parseConfig(input: unknown, source = 'config'): TokenVendingConfig {
  const result = configSchema().safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid token-vending ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

/**
 * Extra rules for a deployed stack: it must say who may call it. A local dev server may run
 * without `auth` (it injects a fixed dev identity and says so); a deployment may not.
 */
export function assertDeployable(config: TokenVendingConfig): void {
  if (!config.auth) {
    throw new ConfigError(
      'Invalid token-vending config:\n  - auth: missing. Set {"type": "jwt", "issuer": "https://...", "audience": ["..."]} ' +
        `so that only signed-in users get tokens, or {"type": "none", "acknowledge": "${ACK_NO_AUTH}"} if you really mean it.`,
    );
  }
}

/**
 * Does a playback function with this config ever ask IVS about a channel? GetChannel for a
 * configured channel without `playbackUrl`, ListChannels (and GetChannel) with discovery.
 * Otherwise the IVS client is left out of its bundle (lib/token-vending-api.ts).
 */
export function needsChannelLookups(config: Pick<TokenVendingConfig, 'channels' | 'channelDiscovery'>): boolean {
  return config.channelDiscovery !== undefined || config.channels.some((c) => !c.playbackUrl);
}

/** The config `npm start` serves when it is given none: one demo channel, a loopback coturn and `livekit-server --dev`, open to every caller. */
export function devConfig(): TokenVendingConfig {
  return parseConfig(
    {
      channels: [
        {
          id: 'demo',
          arn: 'arn:aws:ivs:us-east-1:123456789012:channel/DemoChannel0',
          playbackUrl: 'https://0123456789ab.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123456789012.channel.DemoChannel0.m3u8',
        },
      ],
      origins: { allow: ['http://localhost:3000', 'http://localhost:5173', 'http://localhost:8080', 'http://127.0.0.1:8080'] },
      turn: {
        uris: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'],
      },
      livekit: {
        url: 'ws://localhost:7880',
        roomPolicies: [
          { name: 'demo', rooms: ['demo'], grants: { canPublish: true, canSubscribe: true, canPublishData: true } },
          { name: 'demo-e2ee', rooms: ['demo-e2ee'], grants: { canPublish: true, canSubscribe: true, canPublishData: true }, e2ee: true },
        ],
      },
      entitlements: [{ name: 'everyone', channels: ['demo'], turn: true, roomPolicies: ['demo', 'demo-e2ee'] }],
    },
    'dev config',
  );
}
