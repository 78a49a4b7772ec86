/**
 * Property-based fuzzing of the API (fast-check): one config, request generators and the
 * invariants every response must meet, shared by the handler-level fuzz (events straight into
 * the real handlers) and the HTTP-level fuzz (the local server over loopback).
 *
 * Invariants, for every request:
 * - never a 5xx (the fuzz setup keeps every dependency up, so not even the documented 503);
 * - a non-2xx is problem+json with a known, stable `code` that matches its status, and holds
 *   no token (no JWT, no TURN password);
 * - a 2xx holds a token that the peer's verifier accepts (jose ES384 for playback, LiveKit's
 *   TokenVerifier for rooms, the HMAC recomputed for TURN), bound as the request asked;
 * - a request built to be valid (entitled caller, well-formed body) gets that 2xx.
 */
import { strict as assert } from 'node:assert';
import { createHmac, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';

/** Fixed in CI (reproducible); otherwise random and printed, and FUZZ_SEED=<n> replays a run. */
export const FUZZ_SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : process.env.CI === 'true' ? 20_261_123 : Math.floor(Math.random() * 2 ** 31);

export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true };
}

// ---------------------------------------------------------------- config and secrets

export const CHANNELS = {
  news: 'arn:aws:ivs:us-east-1:123456789012:channel/News01',
  sports: 'arn:aws:ivs:us-east-1:123456789012:channel/Sports02',
  premium: 'arn:aws:ivs:us-east-1:123456789012:channel/Premium03',
} as const;
export const ALLOWED_ORIGINS = ['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'];
export const LIVEKIT_API_KEY = 'APIfuzz';

export const FUZZ_CONFIG = {
  channels: Object.entries(CHANNELS).map(([id, arn]) => ({ id, arn, playbackUrl: `https://abc.us-east-1.playback.live-video.net/api/video/v1/${id}.m3u8` })),
  origins: { allow: ALLOWED_ORIGINS },
  playback: { viewerId: true, ttlSeconds: { default: 300, min: 30, max: 3600 } },
  turn: {
    uris: ['stun:turn.example.com:3478', 'turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'],
    ttlSeconds: { default: 3600, min: 60, max: 86_400 },
  },
  livekit: {
    url: 'wss://livekit.example.com',
    ttlSeconds: { default: 900, min: 60, max: 3600 },
    roomPolicies: [
      { name: 'class', rooms: ['class-*'], grants: { canPublish: true, canPublishData: true }, allowMetadata: true, allowAttributes: true, e2ee: true },
      { name: 'lobby', rooms: ['lobby'], allowIdentityOverride: true },
    ],
  },
  entitlements: [
    { name: 'everyone', channels: ['news'], maximumResolution: 'HD', turn: true, roomPolicies: ['lobby'] },
    { name: 'subscribers', when: { claim: 'cognito:groups', anyOf: ['subscribers'] }, channels: ['*'], roomPolicies: ['class'] },
    { name: 'moderators', when: { claim: 'cognito:groups', anyOf: ['moderators'] }, channels: ['news', 'sports'], revokeViewers: true },
  ],
};

export interface FuzzSecrets {
  playbackPublicKey: KeyObject;
  playbackPrivatePem: string;
  turnSecret: string;
  livekitSecret: string;
  e2eeSecret: string;
}

/** Generated at test time, never committed. */
export function fuzzSecrets(): FuzzSecrets {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  return {
    playbackPublicKey: publicKey,
    playbackPrivatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    turnSecret: randomBytes(24).toString('base64url'),
    livekitSecret: randomBytes(32).toString('base64url'),
    e2eeSecret: randomBytes(32).toString('base64url'),
  };
}

// ---------------------------------------------------------------- requests

export type Route = 'playback' | 'turn' | 'room';
export const ROUTE_PATHS: Record<Route, string> = {
  playback: '/v1/playback-tokens',
  turn: '/v1/turn-credentials',
  room: '/v1/room-tokens',
};

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The caller's claims, as the JWT authorizer passes them (the handler-level fuzz only). */
  claims: Record<string, unknown>;
  /** Built to be valid and entitled: must get a 2xx. */
  valid: boolean;
  /** The JSON value sent, when the body is one. */
  sent?: unknown;
}

const printable = fc.string({ unit: 'grapheme', maxLength: 40 });
const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), printable);
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, [], {}, '', 0, true, JSON.parse('{"__proto__": 1}') as unknown));

/** Values that may or may not fit a field: right type, wrong type, edge cases. */
const fieldValue = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 6, arbitrary: good },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1.5, 2 ** 53, -0, '', ' ', '\u0000', 'null', '1e3', Number.MAX_SAFE_INTEGER) },
  );

const channelArg = fc.constantFrom(...Object.keys(CHANNELS), ...Object.values(CHANNELS), 'nope', 'arn:aws:ivs:us-east-1:999999999999:channel/Other', '*');
const resolution = fc.constantFrom('SD', 'HD', 'FULL_HD');
const roomName = fc.oneof(fc.constantFrom('lobby', 'class-1', 'class-abc_DEF', 'class-', 'other', 'LOBBY'), fc.stringMatching(/^class-[A-Za-z0-9_-]{1,70}$/), printable);

/** A body object for a route: fields right or wrong, sometimes an unknown field. */
function bodyObject(route: Route): fc.Arbitrary<Record<string, unknown>> {
  const extra = fc.option(fc.dictionary(fc.string({ maxLength: 10 }), anyJson, { maxKeys: 2 }), { nil: undefined });
  const fields =
    route === 'playback'
      ? fc.record(
          { channel: fieldValue(channelArg), ttlSeconds: fieldValue(fc.integer({ min: -10, max: 5000 })), singleUse: fieldValue(fc.boolean()), maximumResolution: fieldValue(resolution) },
          { requiredKeys: [] },
        )
      : route === 'turn'
        ? fc.record({ ttlSeconds: fieldValue(fc.integer({ min: -10, max: 100_000 })) }, { requiredKeys: [] })
        : fc.record(
            {
              room_name: fieldValue(roomName),
              participant_identity: fieldValue(fc.oneof(printable, fc.constant(null))),
              participant_name: fieldValue(fc.oneof(printable, fc.constant(null))),
              participant_metadata: fieldValue(fc.oneof(fc.string({ maxLength: 1100 }), fc.constant(null))),
              participant_attributes: fieldValue(fc.dictionary(printable, fc.string({ maxLength: 20 }), { maxKeys: 18 })),
              room_config: fieldValue(fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 }))),
            },
            { requiredKeys: [] },
          );
  return fc.tuple(fields, extra).map(([f, x]) => (x ? { ...x, ...f } : f) as Record<string, unknown>);
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/problem+json', 'application/jsonx', 'json', ''),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,20}$/),
    ),
  },
);

const origin = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('https://app.example.com', 'https://video.example.org', 'http://localhost:3000', 'HTTPS://APP.EXAMPLE.COM') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('https://evil.example.com', 'null', 'https://example.org', 'https://a.example.org/x', 'https://app.example.com.evil.io', 'http://app.example.com', 'https://a,b.example.org', 'https://x.example.org:443'),
      fc.string({ maxLength: 40 }),
      // Whatever fits the wildcard pattern's prefix and suffix.
      fc.string({ maxLength: 12 }).map((s) => `https://${s}.example.org`),
    ),
  },
);

/** Header values as HTTP can carry them (visible ASCII and spaces). */
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), headerValue, { maxKeys: 3 });

/** The body as bytes: the object as JSON mostly, else anything a client might send. */
function bodyBytes(route: Route): fc.Arbitrary<{ body: Buffer; sent?: unknown }> {
  const asJson = bodyObject(route).map((o) => ({ body: Buffer.from(JSON.stringify(o)), sent: o as unknown }));
  return fc.oneof(
    { weight: 10, arbitrary: asJson },
    { weight: 2, arbitrary: anyJson.map((v) => ({ body: Buffer.from(JSON.stringify(v) ?? ''), sent: v as unknown })) },
    { weight: 1, arbitrary: anyText.map((s) => ({ body: Buffer.from(s) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ body: Buffer.from(b) })) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"channel":', '{"__proto__":{"x":1}}', '{"a":1}{"b":2}', '\uFEFF{}', '{"channel":"news"}\u0000').map((s) => ({ body: Buffer.from(s) })) },
    // Sizes around the 8 KiB limit and beyond.
    { weight: 1, arbitrary: fc.integer({ min: 8_000, max: 12_000 }).map((n) => ({ body: Buffer.from(JSON.stringify({ channel: 'news', pad: 'x'.repeat(n) })) })) },
  );
}

const groups = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('subscribers', '[subscribers]', '[admin subscribers]', 'admin', '[]', ''),
  fc.array(fc.constantFrom('subscribers', 'admin', 'x'), { maxLength: 3 }),
);
const subject = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('user-1', 'alice@example.com', 'b0b', 'über:user') }, { weight: 2, arbitrary: printable }, { weight: 1, arbitrary: fc.constant(undefined) });
const claims = fc.record({ sub: subject, iss: fc.constantFrom('https://idp.example.com', 'urn:x', ''), 'cognito:groups': groups }).map((c) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = v;
  return out;
});

/** README's rule for names shown to other participants: nothing hidden, something visible. */
const shownToOthers = (s: string) =>
  !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]|(?![\uFE00-\uFE0F])\p{Default_Ignorable_Code_Point}/u.test(s) &&
  (s === '' || /[^\p{White_Space}\p{Default_Ignorable_Code_Point}]/u.test(s));

/** Entitled as a subscriber: an array claim holding the item, or the whole string (never split). */
export const isSubscriber = (claims: Record<string, unknown>): boolean => {
  const g = claims['cognito:groups'];
  return Array.isArray(g) ? g.includes('subscribers') : g === 'subscribers';
};

/** Anything at all for one route. */
export function anyRequest(route: Route): fc.Arbitrary<FuzzRequest> {
  return fc.record({ b: bodyBytes(route), type: contentType, origin, extra: extraHeaders, claims }).map(({ b, type, origin: o, extra, claims: c }) => {
    const headers: Record<string, string> = { ...extra };
    if (type !== undefined) headers['content-type'] = type;
    if (o !== undefined) headers.origin = o;
    return { method: 'POST', path: ROUTE_PATHS[route], headers, body: b.body, sent: b.sent, claims: c, valid: false };
  });
}

/**
 * Requests built to be valid, from an entitled caller: they must get a token. A subscriber
 * may have every channel and the `class-*` rooms; anyone else `news` (at most HD) and `lobby`.
 */
export function validRequest(route: Route, subscriber = true): fc.Arbitrary<FuzzRequest> {
  const subjectOk = fc.oneof(fc.constantFrom('user-1', 'alice@example.com'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)));
  const caller = fc
    .record({ sub: subjectOk, iss: fc.constantFrom('https://idp.example.com', 'urn:x') })
    .map((c): Record<string, unknown> => (subscriber ? { ...c, 'cognito:groups': ['subscribers'] } : c));
  const channels = subscriber ? channelArg.filter((c) => c !== 'nope' && c !== '*' && !c.includes('999999999999')) : fc.constantFrom('news', CHANNELS.news);
  const rooms = subscriber ? fc.oneof(fc.constant('lobby'), fc.stringMatching(/^class-[A-Za-z0-9_-]{1,64}$/)) : fc.constant('lobby');
  const body: fc.Arbitrary<Record<string, unknown>> =
    route === 'playback'
      ? fc.record(
          { channel: channels, ttlSeconds: fc.integer({ min: 30, max: 600 }), singleUse: fc.boolean(), maximumResolution: subscriber ? resolution : fc.constantFrom('SD', 'HD') },
          { requiredKeys: ['channel'] },
        )
      : route === 'turn'
        ? fc.record({ ttlSeconds: fc.integer({ min: 60, max: 86_400 }) }, { requiredKeys: [] })
        : fc
            .record(
              {
                room_name: rooms,
                participant_name: fc.oneof(fc.string({ maxLength: 40 }).filter(shownToOthers), fc.constant(null)),
                participant_metadata: fc.string({ maxLength: 100 }),
                participant_attributes: fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
              },
              { requiredKeys: ['room_name'] },
            )
            .map((b) => (b.room_name === 'lobby' ? { room_name: 'lobby', participant_name: b.participant_name } : b));
  const allowedOrigin = fc.constantFrom(undefined, 'https://app.example.com', 'https://video.example.org', 'http://localhost:3000');
  return fc.record({ body, claims: caller, origin: allowedOrigin, type: fc.constantFrom('application/json', 'application/json; charset=utf-8') }).map((r) => {
    const headers: Record<string, string> = { 'content-type': r.type };
    if (r.origin) headers.origin = r.origin;
    return { method: 'POST', path: ROUTE_PATHS[route], headers, body: Buffer.from(JSON.stringify(r.body)), sent: r.body, claims: r.claims, valid: true };
  });
}

/** A valid request with one thing changed: the boundary where bugs live. */
export function nearValidRequest(route: Route, subscriber = true): fc.Arbitrary<FuzzRequest> {
  const change = fc.oneof(
    origin.map((o) => (r: FuzzRequest) => ({ ...r, headers: o === undefined ? withoutKey(r.headers, 'origin') : { ...r.headers, origin: o } })),
    contentType.map((t) => (r: FuzzRequest) => ({ ...r, headers: t === undefined ? withoutKey(r.headers, 'content-type') : { ...r.headers, 'content-type': t } })),
    claims.map((c) => (r: FuzzRequest) => ({ ...r, claims: c })),
    fc.tuple(bodyObject(route), fc.nat()).map(([junk, i]) => (r: FuzzRequest) => {
      const keys = Object.keys(junk);
      if (!keys.length) return r;
      const k = keys[i % keys.length]!;
      const sent = { ...(r.sent as Record<string, unknown>), [k]: junk[k] };
      return { ...r, sent, body: Buffer.from(JSON.stringify(sent)) };
    }),
  );
  return fc.tuple(validRequest(route, subscriber), change).map(([r, f]) => ({ ...f(r), valid: false }));
}
const withoutKey = (o: Record<string, string>, k: string) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

/**
 * The mix each fuzz run draws from: about a quarter of it gets a token (each playback token
 * costs a P-384 signature and a verification, the bulk of the fuzz's time).
 */
export const fuzzRequest = (route: Route, subscriber = true): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    { weight: 5, arbitrary: anyRequest(route) },
    { weight: 3, arbitrary: nearValidRequest(route, subscriber) },
    { weight: 1, arbitrary: validRequest(route, subscriber) },
  );

/** For the `$default` route: methods and paths that match no route. */
export const unroutedRequest: fc.Arbitrary<{ method: string; path: string }> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom(...Object.values(ROUTE_PATHS), '/', '/v1', '/v1/', '/v1/playback-tokens/', '/V1/PLAYBACK-TOKENS', '/v2/playback-tokens', '/.well-known/x', '/%2e%2e/etc/passwd'),
    fc.webPath(),
  ),
});

// ---------------------------------------------------------------- invariants

/** Every problem `code` the API answers with, and its status. */
export const PROBLEM_CODES: Record<string, number[]> = {
  missing_body: [400],
  malformed_json: [400],
  invalid_request: [400],
  ttl_out_of_range: [400],
  unauthenticated: [401],
  body_mismatch: [401],
  not_entitled: [403],
  resolution_not_allowed: [403],
  origin_not_allowed: [403],
  identity_not_allowed: [403],
  field_not_allowed: [403],
  forbidden: [403],
  not_found: [404],
  method_not_allowed: [405],
  channel_not_private: [409],
  body_too_large: [413],
  unsupported_media_type: [415],
};

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;
const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'code', 'errors']);

// node:assert, not vitest's expect, in these hot paths: ~20x cheaper per check, and the
// fuzz runs tens of thousands of them. A failure still fails the property (and the test).

/** A refusal: problem+json with a known code for its status, no token, and never for a valid request. */
function checkProblem(req: FuzzRequest, res: FuzzResponse, ctx: string): void {
  assert.ok(res.status >= 300 && res.status < 500, `status out of range: ${ctx}`);
  assert.equal(res.headers['content-type'], 'application/problem+json', ctx);
  assert.doesNotMatch(res.body, JWT, ctx);
  const problem = JSON.parse(res.body) as Record<string, unknown>;
  assert.ok(Object.keys(problem).every((k) => PROBLEM_KEYS.has(k)), `unexpected problem member: ${ctx}`);
  assert.equal(problem.status, res.status, ctx);
  assert.ok(PROBLEM_CODES[String(problem.code)]?.includes(res.status), `unknown code for this status: ${ctx}`);
  assert.equal(problem.type, `urn:token-vending:problem:${String(problem.code)}`, ctx);
  assert.equal(typeof problem.detail, 'string', ctx);
  assert.ok(!req.valid, `a valid request was refused: ${ctx}`);
}

/** Throws when a response breaks an invariant. */
export async function checkResponse(route: Route | '$default', req: FuzzRequest, res: FuzzResponse, secrets: FuzzSecrets): Promise<void> {
  const ctx = `${route} ${res.status} ${res.body.slice(0, 300)}`;
  assert.ok(res.status >= 200 && res.status < 500, `status out of range: ${ctx}`);
  if (res.status >= 300) {
    checkProblem(req, res, ctx);
    return;
  }
  if (route === '$default' && req.method === 'OPTIONS' && res.status === 204) {
    // The unauthorized OPTIONS /{proxy+} route: an empty 204 (API Gateway adds the CORS headers).
    assert.equal(res.body, '', ctx);
    return;
  }
  assert.notEqual(route, '$default', ctx);
  assert.equal(res.headers['content-type'], 'application/json', ctx);
  assert.equal(res.headers['cache-control'], 'no-store', ctx);
  const out = JSON.parse(res.body) as Record<string, unknown>;
  const sent = (req.sent ?? {}) as Record<string, unknown>;
  if (route === 'playback') await checkPlayback(req, res, out, sent, secrets, ctx);
  else if (route === 'turn') checkTurn(res, out, sent, secrets, ctx);
  else await checkRoom(req, res, out, sent, secrets, ctx);
}

async function checkPlayback(req: FuzzRequest, res: FuzzResponse, out: Record<string, unknown>, sent: Record<string, unknown>, secrets: FuzzSecrets, ctx: string) {
  assert.equal(res.status, 200, ctx);
  const token = String(out.token);
  assert.deepEqual(decodeProtectedHeader(token), { alg: 'ES384', typ: 'JWT' }, ctx);
  const { payload } = await jwtVerify(token, secrets.playbackPublicKey, { algorithms: ['ES384'] });
  const arn = String(payload['aws:channel-arn']);
  const channelId = Object.entries(CHANNELS).find(([, a]) => a === arn)?.[0];
  assert.ok(channelId !== undefined, `channel not from the config: ${ctx}`);
  assert.ok(sent.channel === channelId || sent.channel === arn, `not the channel asked for: ${ctx}`);
  assert.equal(out.channelArn, arn, ctx);
  assert.equal(out.playbackUrl, `https://abc.us-east-1.playback.live-video.net/api/video/v1/${channelId}.m3u8?token=${token}`, ctx);
  const now = Date.now() / 1000;
  assert.ok(payload.exp! > now, `expired: ${ctx}`);
  assert.ok(payload.exp! <= now + 600 + 5, `exp beyond the IVS 10-minute cap (or not in seconds): ${ctx}`);
  if (typeof sent.ttlSeconds === 'number') assert.ok(Math.abs(payload.exp! - now - sent.ttlSeconds) < 5, `ttl not honoured: ${ctx}`);
  const viewerId = String(payload['aws:viewer-id']);
  assert.ok(viewerId.length >= 1 && viewerId.length <= 40, ctx);
  assert.notEqual(viewerId, req.claims.sub, `raw subject as viewer id: ${ctx}`);
  assert.equal(typeof payload['aws:single-use-uuid'] === 'string', sent.singleUse === true, ctx);
  const subscriber = isSubscriber(req.claims);
  if (!subscriber) {
    assert.equal(channelId, 'news', `a channel the caller is not entitled to: ${ctx}`); // the only one open to everyone, at most HD
    assert.ok(['SD', 'HD'].includes(String(payload['aws:maximum-resolution'])), `resolution above entitlement: ${ctx}`);
  }
  if (sent.maximumResolution !== undefined) assert.equal(payload['aws:maximum-resolution'] ?? 'FULL_HD', sent.maximumResolution, ctx);
  const requestOrigin = req.headers.origin;
  const claim = payload['aws:access-control-allow-origin'];
  if (requestOrigin !== undefined) {
    // Exactly the page's own origin, and a well-formed one (IVS reads the claim as a list).
    assert.equal(claim, requestOrigin.toLowerCase(), ctx);
    assert.ok(!String(claim).includes(','), `origin claim holds a list: ${ctx}`);
    assert.equal(new URL(String(claim)).origin, claim, `origin claim is not a plain origin: ${ctx}`);
  } else {
    assert.equal(claim, ALLOWED_ORIGINS.join(','), ctx);
  }
}

function checkTurn(res: FuzzResponse, out: Record<string, unknown>, sent: Record<string, unknown>, secrets: FuzzSecrets, ctx: string) {
  assert.equal(res.status, 200, ctx);
  const username = String(out.username);
  const [expiry, user, ...rest] = username.split(':');
  assert.deepEqual(rest, [], ctx);
  assert.ok(user!.length > 0, ctx);
  assert.equal(out.password, createHmac('sha1', secrets.turnSecret).update(username).digest('base64'), `HMAC does not recompute: ${ctx}`);
  const ttl = typeof sent.ttlSeconds === 'number' ? sent.ttlSeconds : 3600;
  assert.equal(out.ttl, ttl, ctx);
  assert.ok(Math.abs(Number(expiry) - Date.now() / 1000 - ttl) < 5, ctx);
  const ice = out.iceServers as { urls: string[]; username?: string; credential?: string }[];
  assert.deepEqual(ice.at(-1), { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'], username, credential: out.password }, ctx);
}

async function checkRoom(req: FuzzRequest, res: FuzzResponse, out: Record<string, unknown>, sent: Record<string, unknown>, secrets: FuzzSecrets, ctx: string) {
  assert.equal(res.status, 201, ctx);
  assert.equal(out.server_url, 'wss://livekit.example.com', ctx);
  const claims = await new TokenVerifier(LIVEKIT_API_KEY, secrets.livekitSecret).verify(String(out.participant_token));
  const video = claims.video!;
  assert.equal(video.room, sent.room_name, ctx);
  assert.equal(video.roomJoin, true, ctx);
  for (const admin of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'ingressAdmin', 'agent'] as const) assert.ok(!video[admin], `admin grant ${admin}: ${ctx}`);
  const lobby = sent.room_name === 'lobby';
  assert.equal(video.canPublish, !lobby, ctx);
  const identity = sent.participant_identity ?? req.claims.sub;
  if (!lobby) assert.equal(claims.sub, req.claims.sub, `identity override without the policy: ${ctx}`);
  assert.equal(claims.sub, identity, ctx);
  assert.equal(typeof out.e2ee_key === 'string', !lobby, ctx);
  assert.equal(claims.exp! - claims.nbf!, 900, ctx);
}

// ---------------------------------------------------------------- the key-lifecycle routes

export const REVOCATION_PATH = '/v1/viewer-revocations';

/** Moderators may revoke viewers on news and sports (FUZZ_CONFIG), no one else anywhere. */
export const isModerator = (claims: Record<string, unknown>): boolean => {
  const g = claims['cognito:groups'];
  return Array.isArray(g) ? g.includes('moderators') : g === 'moderators';
};

/** POST /v1/viewer-revocations: anything, one change from valid, and valid (a moderator naming a user). */
export function revocationRequest(): fc.Arbitrary<FuzzRequest> {
  const moderatorClaims = fc
    .record({ sub: fc.constantFrom('mod-1', 'mod-2'), iss: fc.constantFrom('https://idp.example.com', 'urn:x'), 'cognito:groups': fc.oneof(fc.constant(['moderators']), fc.constant('moderators'), groups) })
    .map((c): Record<string, unknown> => c);
  const body = fc
    .record(
      {
        channel: fieldValue(channelArg),
        subject: fieldValue(fc.oneof(fc.constantFrom('user-1', 'alice@example.com'), fc.string({ minLength: 1, maxLength: 60 }))),
        issuer: fieldValue(fc.constantFrom('https://idp.example.com', 'urn:x', 'https://other.example')),
      },
      { requiredKeys: [] },
    )
    .map((o) => o as Record<string, unknown>);
  const valid = fc
    .record({
      body: fc.record(
        { channel: fc.constantFrom('news', 'sports', CHANNELS.news), subject: fc.string({ minLength: 1, maxLength: 100 }), issuer: fc.constantFrom('https://idp.example.com', 'urn:x') },
        { requiredKeys: ['channel', 'subject'] },
      ),
      claims: moderatorClaims.map((c) => ({ ...c, 'cognito:groups': ['moderators'] })),
    })
    .map(({ body: b, claims: c }): FuzzRequest => ({
      method: 'POST', path: REVOCATION_PATH, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(b)), sent: b, claims: c, valid: true,
    }));
  const any = fc
    .record({ b: fc.oneof({ weight: 4, arbitrary: body.map((o) => ({ body: Buffer.from(JSON.stringify(o)), sent: o as unknown })) }, { weight: 1, arbitrary: bodyBytes('playback') }), type: contentType, origin, claims: fc.oneof(claims, moderatorClaims) })
    .map(({ b, type, origin: o, claims: c }): FuzzRequest => {
      const headers: Record<string, string> = {};
      if (type !== undefined) headers['content-type'] = type;
      if (o !== undefined) headers.origin = o;
      return { method: 'POST', path: REVOCATION_PATH, headers, body: b.body, sent: b.sent, claims: c, valid: false };
    });
  return fc.oneof({ weight: 3, arbitrary: any }, { weight: 1, arbitrary: valid });
}

/** Throws when a revocation answer breaks an invariant; `revoked` is what the loopback IVS received for it, if anything. */
export function checkRevocation(req: FuzzRequest, res: FuzzResponse, revoked: { channelArn: string; viewerId: string } | undefined): void {
  const ctx = `revocation ${res.status} ${res.body.slice(0, 300)}`;
  if (res.status >= 300) {
    checkProblem(req, res, ctx);
    assert.equal(revoked, undefined, `IVS was called for a refused request: ${ctx}`);
    return;
  }
  const sent = req.sent as Record<string, unknown>;
  assert.equal(res.status, 202, ctx);
  assert.ok(isModerator(req.claims), `revocation by a caller without revokeViewers: ${ctx}`);
  const out = JSON.parse(res.body) as Record<string, unknown>;
  const arn = Object.entries(CHANNELS).find(([id, a]) => sent.channel === id || sent.channel === a)?.[1];
  assert.ok(arn === CHANNELS.news || arn === CHANNELS.sports, `a channel outside the moderator's entitlement: ${ctx}`);
  assert.deepEqual(out, { channelArn: arn, status: 'revocation started' }, ctx);
  assert.ok(revoked, `202 without an IVS call: ${ctx}`);
  assert.equal(revoked.channelArn, arn, ctx);
  assert.match(revoked.viewerId, /^[A-Za-z0-9_-]{1,40}$/, ctx);
  assert.notEqual(revoked.viewerId, sent.subject, `raw subject sent to IVS: ${ctx}`);
}

/** GET /.well-known/jwks.json: always the one public key, never a private member, whatever the request. */
export async function checkJwks(res: FuzzResponse, secrets: FuzzSecrets): Promise<void> {
  const ctx = `jwks ${res.status} ${res.body.slice(0, 300)}`;
  assert.equal(res.status, 200, ctx);
  assert.equal(res.headers['content-type'], 'application/jwk-set+json', ctx);
  assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/, ctx);
  const { keys } = JSON.parse(res.body) as { keys: Record<string, unknown>[] };
  const expected = await exportJWK(secrets.playbackPublicKey);
  assert.equal(keys.length, 1, ctx);
  const [key] = keys;
  assert.ok(!('d' in key!), `private key material in the JWKS: ${ctx}`);
  assert.deepEqual({ kty: key!.kty, crv: key!.crv, x: key!.x, y: key!.y }, { kty: 'EC', crv: 'P-384', x: expected.x, y: expected.y }, ctx);
  assert.equal(key!.kid, await calculateJwkThumbprint(expected), ctx);
}
