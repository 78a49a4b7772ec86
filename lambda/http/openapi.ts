/**
 * The OpenAPI 3.1 document of the v1 API, generated from the zod schemas that validate the
 * requests (schemas.ts) and shape the responses (responses.ts): one source of truth. The route
 * descriptions live here, not beside the schemas. `npm run openapi` writes it to
 * `openapi.json`; the local server serves it at `GET /openapi.json` (a local convenience:
 * no deployed function imports this module, and the deployed API has no such route).
 *
 * The JSON Schema emitter is zod's core `toJSONSchema`, which reads classic and mini schemas alike.
 */
import { registry, toJSONSchema, type $ZodType } from 'zod/v4/core';
import { HMAC_HEADERS } from './hmac';
import * as req from './schemas';
import * as res from './responses';
import { ROUTES } from './routes';

const REF = (id: string) => `#/components/schemas/${id}`;

/** Components: request bodies are read as zod *accepts* them, responses as handlers *produce* them. */
const REQUEST_SCHEMAS: Record<string, $ZodType> = {
  PlaybackTokenRequest: req.playbackTokenRequest,
  TurnCredentialsRequest: req.turnCredentialsRequest,
  RoomTokenRequest: req.roomTokenRequest,
  ViewerRevocationRequest: req.viewerRevocationRequest,
};
const RESPONSE_SCHEMAS: Record<string, $ZodType> = {
  PlaybackToken: res.playbackTokenResponse,
  IceServer: res.iceServer,
  TurnCredentials: res.turnCredentialsResponse,
  RoomToken: res.roomTokenResponse,
  ViewerRevocation: res.viewerRevocationResponse,
  JsonWebKeySet: res.jwksResponse,
  Problem: res.problemBody,
  ApiGatewayMessage: res.apiGatewayMessage,
};

type JsonObject = Record<string, unknown>;

function components(schemas: Record<string, $ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const reg = registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) reg.add(schema, { id });
  const { schemas: out } = toJSONSchema(reg, { target: 'draft-2020-12', io, uri: REF, unrepresentable: 'any' }) as {
    schemas: Record<string, JsonObject>;
  };
  // Each component is a schema object inside the document, not a standalone JSON Schema resource.
  for (const s of Object.values(out)) {
    delete s.$schema;
    delete s.$id;
  }
  return out;
}

/** The problems a route can answer with, by status: `code`s a client may branch on. */
type Problems = Record<number, { description: string; codes: string[] }>;

const COMMON_PROBLEMS: Problems = {
  400: { description: 'The body is missing, not JSON, or does not match the schema (`errors` lists each field)', codes: ['missing_body', 'malformed_json', 'invalid_request'] },
  401: {
    description:
      'No valid credentials. Deployed, API Gateway answers this itself with `{"message":"Unauthorized"}` (application/json); a handler (`body_mismatch`) and the local server answer problem+json.',
    codes: ['unauthenticated', 'body_mismatch'],
  },
  413: { description: 'The body is larger than 8 KiB', codes: ['body_too_large'] },
  415: { description: 'The body is not application/json', codes: ['unsupported_media_type'] },
  500: { description: 'Unexpected failure (logged; the body says nothing about the cause)', codes: ['internal_error'] },
  503: { description: 'A secret or IVS cannot be read right now; retry after `Retry-After` seconds', codes: ['secret_unavailable'] },
};
const EDGE_FORBIDDEN = 'edge_required (behind the edge: the request went around CloudFront)';

interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  request?: { schema: string; required: boolean };
  success: { status: number; schema: string; description: string; contentType?: string };
  problems: Problems;
  public?: boolean;
}

const OPERATIONS: Record<string, Operation> = {
  'POST /v1/playback-tokens': {
    operationId: 'createPlaybackToken',
    tag: 'playback',
    summary: 'An IVS playback token for a private channel, and the playback URL that carries it',
    description:
      'The token is an ES384 JWT that Amazon IVS checks when playback starts (`<playbackUrl>?token=<jwt>`): fetch a fresh one for every playback start. ' +
      'Only channels present in the config (or discovered by tag) are served, never an arbitrary ARN. ' +
      'A request with an `Origin` header gets that origin in `aws:access-control-allow-origin` when it is allowed.',
    request: { schema: 'PlaybackTokenRequest', required: true },
    success: { status: 200, schema: 'PlaybackToken', description: 'The token and the tokenized playback URL' },
    problems: {
      ...COMMON_PROBLEMS,
      400: { ...COMMON_PROBLEMS[400]!, codes: [...COMMON_PROBLEMS[400]!.codes, 'ttl_out_of_range'] },
      403: {
        description: 'Not entitled to this channel (or it does not exist), more resolution than entitled, an Origin that is not allowed',
        codes: ['not_entitled', 'resolution_not_allowed', 'origin_not_allowed', EDGE_FORBIDDEN, 'forbidden'],
      },
      409: { description: 'The channel exists but is not private (authorized) in IVS', codes: ['channel_not_private'] },
      503: { ...COMMON_PROBLEMS[503]!, codes: ['secret_unavailable', 'channel_unavailable'] },
    },
  },
  'POST /v1/turn-credentials': {
    operationId: 'createTurnCredentials',
    tag: 'webrtc',
    summary: 'Short-lived TURN REST-API credentials, also as RTCIceServer[]',
    description:
      'coturn (`use-auth-secret`) accepts them until `expiresAt`; pass `iceServers` to `new RTCPeerConnection({ iceServers })`. The body is optional. ' +
      'Present when the deployment configures `turn` (otherwise 404).',
    request: { schema: 'TurnCredentialsRequest', required: false },
    success: { status: 200, schema: 'TurnCredentials', description: 'The credentials' },
    problems: {
      ...COMMON_PROBLEMS,
      400: { ...COMMON_PROBLEMS[400]!, codes: ['malformed_json', 'invalid_request', 'ttl_out_of_range'] },
      403: { description: 'Not entitled to TURN', codes: ['not_entitled', EDGE_FORBIDDEN, 'forbidden'] },
      404: { description: 'TURN is not configured on this deployment', codes: ['not_found'] },
    },
  },
  'POST /v1/room-tokens': {
    operationId: 'createRoomToken',
    tag: 'webrtc',
    summary: "A LiveKit access token: LiveKit's standard token endpoint (TokenSource.endpoint)",
    description:
      'Grants come from the room policy the caller holds, never from the request; a field the caller may not set is 403 `field_not_allowed`, not ignored. ' +
      '`room_config` may only dispatch agents that the room policy lists (`agents[].agent_name`, `metadata`). ' +
      'Present when the deployment configures `livekit` (otherwise 404).',
    request: { schema: 'RoomTokenRequest', required: true },
    success: { status: 201, schema: 'RoomToken', description: 'The server URL, the participant token and, where the policy asks, the E2EE key' },
    problems: {
      ...COMMON_PROBLEMS,
      403: {
        description: 'Not entitled to the room, another identity, or a field the room policy does not let the caller set',
        codes: ['not_entitled', 'identity_not_allowed', 'field_not_allowed', EDGE_FORBIDDEN, 'forbidden'],
      },
      404: { description: 'LiveKit is not configured on this deployment', codes: ['not_found'] },
    },
  },
  'POST /v1/viewer-revocations': {
    operationId: 'revokeViewer',
    tag: 'operations',
    summary: "End a viewer's playback sessions on a channel (IVS StartViewerSessionRevocation)",
    description:
      'For callers whose entitlement has `revokeViewers` on the channel. Needs `playback.viewerId` (tokens carry `aws:viewer-id`).',
    request: { schema: 'ViewerRevocationRequest', required: true },
    success: { status: 202, schema: 'ViewerRevocation', description: 'IVS accepted the revocation' },
    problems: {
      ...COMMON_PROBLEMS,
      403: { description: 'May not revoke viewers on this channel (or it does not exist)', codes: ['not_entitled', EDGE_FORBIDDEN, 'forbidden'] },
      409: { description: 'Playback tokens carry no viewer id here', codes: ['viewer_id_disabled', 'channel_not_private'] },
      429: { description: 'IVS is throttling revocations; retry after `Retry-After`', codes: ['ivs_throttled'] },
      503: { ...COMMON_PROBLEMS[503]!, codes: ['secret_unavailable', 'channel_unavailable', 'ivs_unavailable'] },
    },
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getPlaybackKeys',
    tag: 'playback',
    summary: 'The public playback keys (JWKS), for anyone who verifies playback tokens',
    description: 'Unauthenticated and cacheable. Holds the current and the previous key while a rotation is under way.',
    success: { status: 200, schema: 'JsonWebKeySet', description: 'The key set', contentType: 'application/jwk-set+json' },
    problems: {
      403: { description: 'Behind the edge: the request went around CloudFront', codes: ['edge_required'] },
      500: COMMON_PROBLEMS[500]!,
      503: COMMON_PROBLEMS[503]!,
    },
    public: true,
  },
};

const problemContent = { 'application/problem+json': { schema: { $ref: REF('Problem') } } };
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string', pattern: '^\\d+$' } } };

function responses(op: Operation): JsonObject {
  const out: JsonObject = {
    [String(op.success.status)]: {
      description: op.success.description,
      headers: { 'Cache-Control': { schema: { type: 'string' }, description: op.public ? 'public, max-age=<seconds>' : 'no-store: tokens must never sit in a cache' } },
      content: { [op.success.contentType ?? 'application/json']: { schema: { $ref: REF(op.success.schema) } } },
    },
  };
  for (const [status, p] of Object.entries(op.problems)) {
    const content: JsonObject =
      status === '401' ? { ...problemContent, 'application/json': { schema: { $ref: REF('ApiGatewayMessage') } } } : { ...problemContent };
    out[status] = {
      description: `${p.description}. \`code\`: ${p.codes.map((c) => `\`${c.split(' ')[0]}\``).join(', ')}.`,
      ...(status === '429' || status === '503' ? { headers: retryAfter } : {}),
      content,
    };
  }
  out.default = {
    description:
      'Any other refusal, as RFC 9457 problem details (e.g. 405 with `Allow`; 429 `rate_limited` from the edge, whose body is this shape with content-type application/json)',
    content: { ...problemContent, 'application/json': { schema: { $ref: REF('Problem') } } },
  };
  return out;
}

const SECURITY_SCHEMES = {
  bearerJwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      "With `auth.type: \"jwt\"`: the signed-in user's OIDC token (Cognito or any IdP), checked by API Gateway's JWT authorizer (issuer, audience, exp, RSA signature).",
  },
  ...Object.fromEntries(
    Object.entries(HMAC_HEADERS).map(([key, header]) => [
      `hmac${key[0]!.toUpperCase()}${key.slice(1)}`,
      {
        type: 'apiKey',
        in: 'header',
        name: header,
        description: `With \`auth.type: "hmac"\` (server-to-server only, never from a browser): one of the five TV2 signature headers, all required together (README, "Signing a server-to-server request").`,
      },
    ]),
  ),
};
const HMAC_REQUIREMENT = Object.fromEntries(Object.keys(HMAC_HEADERS).map((key) => [`hmac${key[0]!.toUpperCase()}${key.slice(1)}`, []]));

/** The whole document. Deterministic: the same schemas always give the same JSON. */
export function openApiDocument(version = '1'): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    const key = `${route.method} ${route.path}`;
    const op = OPERATIONS[key];
    if (!op) throw new Error(`openapi: no description for ${key} (lambda/http/openapi.ts)`);
    const operation: JsonObject = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: op.description,
      security: op.public ? [] : [{ bearerJwt: [] }, HMAC_REQUIREMENT],
    };
    if (op.request) {
      operation.requestBody = { required: op.request.required, content: { 'application/json': { schema: { $ref: REF(op.request.schema) } } } };
    }
    operation.responses = responses(op);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Token vending for private streams',
      version,
      summary: 'IVS playback tokens, TURN credentials and LiveKit room tokens for signed-in viewers',
      description:
        'Every error is RFC 9457 `application/problem+json` with a stable `code`. Browsers call it with CORS from the configured origins ' +
        '(API Gateway answers preflights). Routes for features a deployment does not configure (TURN, LiveKit) answer 404.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [
      { url: 'https://{apiId}.execute-api.{region}.amazonaws.com', description: 'The stack output `Url` (or `EdgeUrl` behind the edge)', variables: { apiId: { default: 'abcdef1234' }, region: { default: 'us-east-1' } } },
      { url: 'http://127.0.0.1:8080', description: '`npm start`' },
    ],
    tags: [
      { name: 'playback', description: 'Amazon IVS private channels' },
      { name: 'webrtc', description: 'TURN and LiveKit' },
      { name: 'operations', description: 'For moderators and operators' },
    ],
    paths,
    components: {
      schemas: { ...components(REQUEST_SCHEMAS, 'input'), ...components(RESPONSE_SCHEMAS, 'output') },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

/** The document as `openapi.json` holds it (two-space indent, trailing newline). */
export const openApiJson = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
