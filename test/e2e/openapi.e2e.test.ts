/**
 * The OpenAPI document against the running API: every route's successes and refusals, as
 * the local server answers them over HTTP, conform to openapi.json. (The same check runs on
 * every response of every e2e test: test/support/openapi-conformance.ts, installed by
 * vitest.config.ts; here we make sure each route and each schema is met at least once.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p384KeyPair } from '../support/keys';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';
import { checkedResponses } from '../support/openapi-conformance';

const keys = p384KeyPair();
let server: LocalServer;
beforeAll(async () => {
  const config = {
    channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
    turn: { uris: ['turn:127.0.0.1:3478?transport=udp'] },
    livekit: { url: 'wss://lk.example.com', roomPolicies: [{ name: 'p', rooms: ['room'], e2ee: true, agents: ['bot'] }] },
    entitlements: [{ name: 'all', channels: ['demo'], turn: true, roomPolicies: ['p'], revokeViewers: true }],
  };
  server = await startLocalServer({
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(config)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', keys.pkcs8Pem),
    TURN_STATIC_AUTH_SECRET: 'openapi-test-turn-secret',
  });
});
afterAll(async () => server?.stop());

describe('responses of the running API conform to openapi.json', () => {
  it('for every route, its success and its problems', async () => {
    const calls: [string, () => Promise<Response>, number][] = [
      ['playback token', () => server.post('/v1/playback-tokens', { channel: 'demo', singleUse: true }), 200],
      ['playback: not entitled', () => server.post('/v1/playback-tokens', { channel: 'other' }), 403],
      ['playback: invalid field', () => server.post('/v1/playback-tokens', { channel: 'demo', extra: 1 }), 400],
      ['playback: ttl out of range', () => server.post('/v1/playback-tokens', { channel: 'demo', ttlSeconds: 5 }), 400],
      ['playback: too large', () => server.post('/v1/playback-tokens', { channel: 'x'.repeat(10_000) }), 413],
      ['playback: form body', () => fetch(`${server.url}/v1/playback-tokens`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'text/plain' } }), 415],
      ['playback: wrong method', () => fetch(`${server.url}/v1/playback-tokens`), 405],
      ['TURN credentials', () => server.post('/v1/turn-credentials', ''), 200],
      ['room token with an agent and an E2EE key', () => server.post('/v1/room-tokens', { room_name: 'room', room_config: { agents: [{ agent_name: 'bot' }] } }), 201],
      ['room: field not allowed', () => server.post('/v1/room-tokens', { room_name: 'room', room_config: { max_participants: 1 } }), 403],
      ['JWKS', () => fetch(`${server.url}/.well-known/jwks.json`), 200],
      ['revocation without viewer ids', () => server.post('/v1/viewer-revocations', { channel: 'demo', subject: 'u' }), 409],
      ['unknown path', () => server.post('/v1/nothing', {}), 404],
    ];
    const before = checkedResponses.length;
    for (const [name, call, status] of calls) expect((await call()).status, name).toBe(status);
    const checked = checkedResponses.slice(before);
    expect(checked).toHaveLength(calls.length); // each one was checked, none skipped
    expect(new Set(checked.map((c) => c.schema))).toEqual(
      new Set(['PlaybackToken', 'TurnCredentials', 'RoomToken', 'JsonWebKeySet', 'Problem'].map((s) => `#/components/schemas/${s}`)),
    );
  });
});
