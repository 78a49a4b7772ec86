/**
 * Typed client of the token vending API, for browsers and Node (>= 18, global `fetch`).
 * No runtime dependencies: the types come from the same zod schemas as the API and the
 * OpenAPI document (type-only imports, erased when compiled).
 *
 *   import { TokenVendingClient } from 'token-vending/client';
 *   const api = new TokenVendingClient({ baseUrl: 'https://api.example.com', getToken: () => auth.idToken });
 *   player.load(await api.playbackUrl('main-stage'));            // a fresh token per playback start
 *   new RTCPeerConnection({ iceServers: await api.iceServers() }); // cached until shortly before expiry
 *   const { serverUrl, participantToken } = await api.roomToken({ roomName: 'stage-1' });
 *
 * Every refusal becomes a `TokenVendingError` with the problem's `status` and `code`.
 */
import type {
  IceServerResponse,
  JwksResponse,
  PlaybackTokenResponse,
  ProblemBody,
  TurnCredentialsResponse,
} from '../lambda/http/responses';
import type { PlaybackTokenRequest } from '../lambda/http/schemas';

export type PlaybackToken = PlaybackTokenResponse;
export type PlaybackOptions = Omit<PlaybackTokenRequest, 'channel'>;
export type TurnCredentials = TurnCredentialsResponse;
/** A browser `RTCIceServer`. */
export type IceServer = IceServerResponse;
export type Problem = ProblemBody;
export type { JwksResponse, PlaybackTokenRequest };

/** What `TokenSource.endpoint` of LiveKit's client SDKs sends (camelCase here, snake_case on the wire). */
export interface RoomTokenOptions {
  roomName: string;
  participantIdentity?: string;
  participantName?: string;
  participantMetadata?: string;
  participantAttributes?: Record<string, string>;
  /** Dispatch this LiveKit agent into the room (the room policy must list it). */
  agentName?: string;
  /** Handed to the dispatched agent's job. */
  agentMetadata?: string;
}

/** LiveKit's `TokenSourceResponseObject`, plus the room's E2EE key where the policy hands one out. */
export interface RoomToken {
  serverUrl: string;
  participantToken: string;
  /** Standard base64 of the room's 32-byte shared E2EE key. */
  e2eeKey?: string;
}

/** Anything that plays a URL: the IVS web player (`amazon-ivs-player`), or a wrapper around a `<video>`. */
export interface Player {
  load(url: string): void;
  play?(): void;
}

type Fetch = (input: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

export interface TokenVendingClientOptions {
  /** The API's base URL: the stack output `Url` (or `EdgeUrl` behind the edge); `http://127.0.0.1:8080` for `npm start`. */
  baseUrl: string;
  /**
   * The signed-in user's token, sent as `Authorization: Bearer <token>`; asked for before every
   * call, so a refreshed token is used as soon as you have it.
   * @default no Authorization header (the local server's dev mode)
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Extra headers on every call.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The fetch to call.
   * @default globalThis.fetch (looked up at each call)
   */
  fetch?: Fetch;
  /**
   * `iceServers()` fetches new credentials this many seconds before the cached ones expire
   * (at most half their lifetime).
   * @default 300
   */
  iceRefreshSeconds?: number;
  /**
   * The clock, in milliseconds.
   * @default Date.now
   */
  now?: () => number;
}

/** A refusal of the API: RFC 9457 problem details, or API Gateway's own `{"message"}` (401/403). */
export class TokenVendingError extends Error {
  override readonly name = 'TokenVendingError';
  /** HTTP status. */
  readonly status: number;
  /** Stable reason to branch on: `not_entitled`, `origin_not_allowed`, `field_not_allowed`, `unauthenticated`, ... */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** 400 invalid_request: one entry per invalid field. */
  readonly errors: readonly { path: string; message: string }[];
  /** From `Retry-After` (429, 503): seconds to wait before trying again. */
  readonly retryAfterSeconds?: number;

  constructor(status: number, problem: Partial<Problem>, retryAfterSeconds?: number) {
    const code = problem.code ?? (status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : `http_${status}`);
    super(`${status} ${code}: ${problem.detail ?? problem.title ?? 'request refused'}`);
    this.status = status;
    this.code = code;
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.errors = problem.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const ROUTES = {
  playback: '/v1/playback-tokens',
  turn: '/v1/turn-credentials',
  room: '/v1/room-tokens',
  jwks: '/.well-known/jwks.json',
} as const;

export class TokenVendingClient {
  private readonly baseUrl: string;
  private readonly opts: TokenVendingClientOptions;
  private ice?: { servers: IceServer[]; refreshAtMs: number };
  private iceInFlight?: Promise<IceServer[]>;

  constructor(options: TokenVendingClientOptions) {
    this.opts = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** POST /v1/playback-tokens: the token, its expiry and the tokenized playback URL. */
  playbackToken(request: PlaybackTokenRequest): Promise<PlaybackToken> {
    return this.call<PlaybackToken>('POST', ROUTES.playback, request);
  }

  /**
   * The playback URL with a fresh token (`<playbackUrl>?token=<jwt>`). IVS checks the token when
   * playback starts: call this for every start (and restart), never reuse an old URL.
   */
  async playbackUrl(channel: string, options: PlaybackOptions = {}): Promise<string> {
    return (await this.playbackToken({ ...options, channel })).playbackUrl;
  }

  /** Fetch a fresh token and hand the URL to the player (`player.load(url)`, then `play()` if it has one). */
  async startPlayback(player: Player, channel: string, options: PlaybackOptions = {}): Promise<PlaybackToken> {
    const token = await this.playbackToken({ ...options, channel });
    player.load(token.playbackUrl);
    player.play?.();
    return token;
  }

  /** POST /v1/turn-credentials, uncached. */
  turnCredentials(request: { ttlSeconds?: number } = {}): Promise<TurnCredentials> {
    return this.call<TurnCredentials>('POST', ROUTES.turn, request);
  }

  /**
   * `RTCIceServer[]` for `new RTCPeerConnection({ iceServers })`, cached until shortly before the
   * credentials expire; concurrent calls share one request.
   */
  async iceServers(): Promise<IceServer[]> {
    if (this.ice && this.clock() < this.ice.refreshAtMs) return this.ice.servers;
    this.iceInFlight ??= (async () => {
      try {
        const creds = await this.turnCredentials();
        const expiresAtMs = Date.parse(creds.expiresAt);
        const marginMs = Math.min((this.opts.iceRefreshSeconds ?? 300) * 1000, (creds.ttl * 1000) / 2);
        this.ice = { servers: creds.iceServers, refreshAtMs: expiresAtMs - marginMs };
        return creds.iceServers;
      } finally {
        this.iceInFlight = undefined;
      }
    })();
    return this.iceInFlight;
  }

  /** POST /v1/room-tokens with `TokenSource.endpoint`'s request: a LiveKit token for the room. */
  async roomToken(options: RoomTokenOptions): Promise<RoomToken> {
    const body: Record<string, unknown> = { room_name: options.roomName };
    if (options.participantIdentity !== undefined) body.participant_identity = options.participantIdentity;
    if (options.participantName !== undefined) body.participant_name = options.participantName;
    if (options.participantMetadata !== undefined) body.participant_metadata = options.participantMetadata;
    if (options.participantAttributes !== undefined) body.participant_attributes = options.participantAttributes;
    if (options.agentName !== undefined) {
      const agent: Record<string, string> = { agent_name: options.agentName };
      if (options.agentMetadata !== undefined) agent.metadata = options.agentMetadata;
      body.room_config = { agents: [agent] };
    }
    const r = await this.call<{ server_url: string; participant_token: string; e2ee_key?: string }>('POST', ROUTES.room, body);
    return { serverUrl: r.server_url, participantToken: r.participant_token, ...(r.e2ee_key ? { e2eeKey: r.e2ee_key } : {}) };
  }

  /** The URL for livekit-client's `TokenSource.endpoint(url, { headers })`, if you prefer LiveKit's own caching. */
  get roomTokenEndpoint(): string {
    return this.baseUrl + ROUTES.room;
  }

  /** GET /.well-known/jwks.json: the public playback keys (no credentials needed). */
  jwks(): Promise<JwksResponse> {
    return this.call<JwksResponse>('GET', ROUTES.jwks);
  }

  private clock(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...this.opts.headers };
    const token = method === 'POST' ? await this.opts.getToken?.() : undefined;
    if (token) headers.authorization = `Bearer ${token}`;
    const init: { method: string; headers: Record<string, string>; body?: string } = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const doFetch: Fetch = this.opts.fetch ?? ((input, i) => globalThis.fetch(input, i));
    const res = await doFetch(this.baseUrl + path, init);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const retryAfter = res.headers.get('retry-after');
      const problem = (parsed && typeof parsed === 'object' ? parsed : {}) as Partial<Problem> & { message?: string };
      throw new TokenVendingError(res.status, { ...problem, detail: problem.detail ?? problem.message }, retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined);
    }
    if (parsed === undefined) throw new TokenVendingError(res.status, { code: 'invalid_response', detail: 'The API answered without a JSON body.' });
    return parsed as T;
  }
}
