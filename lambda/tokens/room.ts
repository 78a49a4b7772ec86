/**
 * LiveKit access tokens and per-room E2EE keys, pure. Claims as LiveKit's server checks them
 * (HS256, `iss` = API key, `sub` = identity, `nbf`, `exp`, `video.room` always set).
 */
import { hkdfSync, type KeyObject } from 'node:crypto';
import type { RoomPolicy } from '../config/schema';
import { signJwt } from './jws';
import { epochSeconds } from './ttl';

/** What one `*` of a room pattern stands for: 1-64 of [A-Za-z0-9_-]. */
const STAR_CHAR = /^[A-Za-z0-9_-]$/;
const STAR_MAX = 64;

/**
 * Does the room pattern (literal text and `*`s) match the room name? In time linear in
 * pattern length x room length (a set of reachable positions, never backtracking), so no
 * pattern and name can make a request slow: a regex with several `[...]{1,64}` groups
 * backtracks exponentially on a name that almost matches.
 */
export function roomMatches(pattern: string, room: string): boolean {
  if (!pattern.includes('*')) return pattern === room;
  const [first, ...rest] = pattern.split('*');
  if (!room.startsWith(first!)) return false;
  // reach[i]: the room's first i characters can be matched by the pattern read so far.
  let reach = new Uint8Array(room.length + 1);
  reach[first!.length] = 1;
  for (const literal of rest) {
    const next = new Uint8Array(room.length + 1);
    for (let i = 0; i <= room.length; i++) {
      if (!reach[i]) continue;
      // The star consumes 1..64 star characters starting at i; then `literal` must follow.
      for (let n = 1; n <= STAR_MAX && i + n <= room.length && STAR_CHAR.test(room[i + n - 1]!); n++) {
        const end = i + n + literal.length;
        if (end <= room.length && !next[end] && room.startsWith(literal, i + n)) next[end] = 1;
      }
    }
    reach = next;
  }
  return reach[room.length] === 1;
}

/** The first policy, in config order, that the caller holds and that covers the room. */
export function roomPolicyFor(room: string, policies: readonly RoomPolicy[], held: ReadonlySet<string>): RoomPolicy | undefined {
  return policies.find((p) => held.has(p.name) && p.rooms.some((pattern) => roomMatches(pattern, room)));
}

export interface VideoGrant {
  room: string;
  roomJoin: true;
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  canPublishSources?: string[];
  canUpdateOwnMetadata: boolean;
  hidden?: true;
}

/** LiveKit's RoomAgentDispatch as a token carries it (camelCase JSON of the protobuf message). */
export interface AgentDispatch {
  agentName: string;
  metadata: string;
}

export interface RoomTokenClaims {
  iss: string;
  sub: string;
  nbf: number;
  exp: number;
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
  video: VideoGrant;
  /** LiveKit's RoomConfiguration: here only the agents to dispatch when the room is created. */
  roomConfig?: { agents: AgentDispatch[] };
}

export interface RoomTokenInput {
  apiKey: string;
  identity: string;
  room: string;
  policy: RoomPolicy;
  now: Date;
  ttlSeconds: number;
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
  agents?: readonly AgentDispatch[];
}

/** A request's `room_config` (LiveKit RoomConfiguration, proto field names), as far as it was parsed. */
export interface RequestedRoomConfig {
  [field: string]: unknown;
  agents?: readonly { [field: string]: unknown; agent_name: string; metadata?: string | null }[] | null;
}

/**
 * The agent dispatches a request's `room_config` asks for, when it asks for nothing but
 * dispatching agents the policy lists (`allowed`); otherwise the first field it may not set.
 */
export function agentDispatches(
  roomConfig: RequestedRoomConfig | null | undefined,
  allowed: readonly string[] | undefined,
): { agents: AgentDispatch[] } | { refused: string } {
  const agents: AgentDispatch[] = [];
  for (const [field, value] of Object.entries(roomConfig ?? {})) {
    if (value === null || value === undefined) continue;
    if (field !== 'agents' || !Array.isArray(value)) return { refused: `room_config.${field}` };
  }
  for (const [i, dispatch] of (roomConfig?.agents ?? []).entries()) {
    const extra = Object.keys(dispatch).find((k) => k !== 'agent_name' && k !== 'metadata' && dispatch[k] != null);
    if (extra) return { refused: `room_config.agents.${i}.${extra}` };
    if (!allowed?.includes(dispatch.agent_name)) return { refused: `room_config.agents.${i}.agent_name` };
    agents.push({ agentName: dispatch.agent_name, metadata: dispatch.metadata ?? '' });
  }
  return { agents };
}

/** Only the grants listed here can ever be written: no admin, create, record or ingress grant. */
export function roomTokenClaims(input: RoomTokenInput): RoomTokenClaims {
  if (input.room.length === 0) throw new RangeError('a room token must name its room');
  const g = input.policy.grants;
  const now = epochSeconds(input.now);
  const video: VideoGrant = {
    room: input.room,
    roomJoin: true,
    // Set explicitly: LiveKit treats unset canPublish/canSubscribe as true.
    canPublish: g.canPublish,
    canSubscribe: g.canSubscribe,
    canPublishData: g.canPublishData,
    canUpdateOwnMetadata: g.canUpdateOwnMetadata,
  };
  if (g.canPublish && g.canPublishSources) video.canPublishSources = [...g.canPublishSources];
  if (g.hidden) video.hidden = true;
  const claims: RoomTokenClaims = { iss: input.apiKey, sub: input.identity, nbf: now, exp: now + input.ttlSeconds, video };
  if (input.name) claims.name = input.name;
  if (input.metadata) claims.metadata = input.metadata;
  if (input.attributes && Object.keys(input.attributes).length) claims.attributes = { ...input.attributes };
  if (input.agents?.length) claims.roomConfig = { agents: input.agents.map((a) => ({ agentName: a.agentName, metadata: a.metadata })) };
  return claims;
}

/** HS256, pinned; the secret is a KeyObject parsed once per refresh. */
export function signRoomToken(claims: RoomTokenClaims, apiSecret: KeyObject): string {
  return signJwt('HS256', claims, apiSecret);
}

const E2EE_SALT = Buffer.from('token-vending/livekit-e2ee', 'utf8');

/**
 * The room's shared E2EE key: HKDF-SHA256(master, salt "token-vending/livekit-e2ee",
 * info "v1|<epoch>|<room>", 32 bytes), standard base64. Same for every participant of a
 * room; another room or epoch gives an unrelated key.
 */
export function e2eeKey(master: KeyObject, room: string, epoch: number): string {
  const info = Buffer.from(`v1|${epoch}|${room}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', master, E2EE_SALT, info, 32)).toString('base64');
}
