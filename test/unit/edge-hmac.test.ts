/**
 * HMAC TV2 behind the edge: the client signs the host it called (the distribution's), while
 * API Gateway's `domainName` is the execute-api host. The authorizer module, run in-process
 * with the runtime environment the stack gives it, verifies over the viewer host from the
 * edge's header, and only when the config has `edge`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

const KEY = randomBytes(32).toString('base64url');
const EXECUTE_API = 'abc123.execute-api.eu-west-1.amazonaws.com';
const CLOUDFRONT = 'd111111abcdef8.cloudfront.net';
const config = {
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  entitlements: [{ name: 'everyone', channels: ['*'] }],
  auth: { type: 'hmac' },
};

async function authorizer(withEdge: boolean) {
  vi.resetModules();
  vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify(withEdge ? { ...config, edge: {} } : config));
  vi.stubEnv('AUTH_HMAC_KEYS', JSON.stringify({ 'backend-1': KEY }));
  return (await import('../../lambda/handlers/hmac-authorizer')).handler;
}
afterEach(() => vi.unstubAllEnvs());

function event(signedHost: string, extra: Record<string, string> = {}): APIGatewayRequestAuthorizerEventV2 {
  const ts = String(Math.floor(Date.now() / 1000));
  const hash = createHash('sha256').update('{"channel":"demo"}').digest('hex');
  const toSign = ['TV2-HMAC-SHA256', 'POST', signedHost, '/v1/playback-tokens', '', ts, 'backend-1', 'user-42', hash].join('\n');
  const headers = {
    'x-tv-key-id': 'backend-1',
    'x-tv-timestamp': ts,
    'x-tv-subject': 'user-42',
    'x-tv-content-sha256': hash,
    'x-tv-signature': createHmac('sha256', KEY).update(toSign).digest('hex'),
    ...extra,
  };
  return {
    version: '2.0',
    type: 'REQUEST',
    rawPath: '/v1/playback-tokens',
    rawQueryString: '',
    headers,
    requestContext: { requestId: 'r', domainName: EXECUTE_API, http: { method: 'POST' } },
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

describe('the HMAC authorizer behind the edge', () => {
  it('accepts a request signed for the distribution host, which the edge passes in x-tv-viewer-host', async () => {
    const authorize = await authorizer(true);
    expect((await authorize(event(CLOUDFRONT, { 'x-tv-viewer-host': CLOUDFRONT }))).isAuthorized).toBe(true);
    // Signed for another host than the one the viewer called (a replay from another stack): refused.
    expect((await authorize(event('api.other.example.com', { 'x-tv-viewer-host': CLOUDFRONT }))).isAuthorized).toBe(false);
  });

  it('without edge, ignores the header and verifies over the host API Gateway served', async () => {
    const authorize = await authorizer(false);
    expect((await authorize(event(CLOUDFRONT, { 'x-tv-viewer-host': CLOUDFRONT }))).isAuthorized).toBe(false);
    expect((await authorize(event(EXECUTE_API))).isAuthorized).toBe(true);
  });
});
