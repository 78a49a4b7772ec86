/**
 * The metrics module and the handler wrapper: what they print (EMF and log lines), read from
 * the process's own stdout/stderr as CloudWatch Logs would receive it.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { ROUTES } from '../../lambda/http/routes';
import { TOKEN_ROUTES } from '../../lambda/config/observability';

const config = parseConfig({
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  entitlements: [{ name: 'all', channels: ['*'] }],
  observability: { metrics: { namespace: 'Unit/Test' } },
});

let mod: {
  metrics: typeof import('../../lambda/metrics');
  handler: typeof import('../../lambda/http/handler');
  problem: typeof import('../../lambda/http/problem');
  logger: typeof import('../../lambda/logger');
};

beforeAll(async () => {
  vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify(config));
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand'); // as Lambda sets it: cold starts are counted
  vi.resetModules();
  mod = {
    metrics: await import('../../lambda/metrics'),
    handler: await import('../../lambda/http/handler'),
    problem: await import('../../lambda/http/problem'),
    logger: await import('../../lambda/logger'),
  };
});
afterEach(() => vi.restoreAllMocks());

/** Everything written to stdout and stderr while `run` runs, as parsed JSON lines. */
async function captured(run: () => unknown): Promise<{ raw: string; lines: Record<string, any>[] }> {
  let raw = '';
  const grab = (chunk: unknown) => {
    raw += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  const lines = raw
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  return { raw, lines };
}
const emf = (lines: Record<string, any>[]) => lines.filter((l) => l._aws);
const directive = (l: Record<string, any>) => l._aws.CloudWatchMetrics[0] as { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

const event = (requestId: string) =>
  ({ requestContext: { requestId, http: { method: 'POST', path: '/v1/playback-tokens' } }, headers: {} }) as unknown as import('../../lambda/http/handler').HttpEvent;
const lambdaContext = { functionName: 'TokenVending-PlaybackTokens-abc', awsRequestId: 'lambda-req', invokedFunctionArn: 'arn', memoryLimitInMB: '512' } as unknown as Context;

describe('recordOutcome', () => {
  it('counts a token route 2xx as one TokensIssued line with dimensions service and kind', async () => {
    const { lines } = await captured(() => mod.metrics.recordOutcome('POST /v1/turn-credentials', 200));
    expect(emf(lines)).toHaveLength(1);
    const [line] = emf(lines);
    expect(directive(line!)).toEqual({ Namespace: 'Unit/Test', Dimensions: [['service', 'kind']], Metrics: [{ Name: 'TokensIssued', Unit: 'Count' }] });
    expect(line).toMatchObject({ service: 'token-vending', kind: 'turn', TokensIssued: 1 });
  });

  it('counts a problem answer as one Refusals line with dimensions service, route and code', async () => {
    const { lines } = await captured(() => mod.metrics.recordOutcome('POST /v1/room-tokens', 403, 'not_entitled'));
    const [line] = emf(lines);
    expect(directive(line!)).toEqual({ Namespace: 'Unit/Test', Dimensions: [['service', 'route', 'code']], Metrics: [{ Name: 'Refusals', Unit: 'Count' }] });
    expect(line).toMatchObject({ route: 'POST /v1/room-tokens', code: 'not_entitled', Refusals: 1 });
  });

  it('emits nothing for a success that is not a token', async () => {
    const { lines } = await captured(() => mod.metrics.recordOutcome('GET /.well-known/jwks.json', 200));
    expect(lines).toEqual([]);
  });

  it('knows the token kind of every token route in the route table', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    for (const key of Object.keys(TOKEN_ROUTES)) expect(keys).toContain(key);
    for (const r of ROUTES.filter((x) => /-(tokens|credentials)$/.test(x.handler))) expect(TOKEN_ROUTES[`${r.method} ${r.path}`], r.path).toBeDefined();
  });
});

describe('lookupFailed', () => {
  it('writes SecretFailures at once, dimension service only, the secret label as metadata', async () => {
    const { lines } = await captured(() => mod.metrics.lookupFailed('secret', 'TURN shared secret'));
    expect(emf(lines).map((l) => [directive(l).Metrics[0]!.Name, directive(l).Dimensions, l.source])).toEqual([['SecretFailures', [['service']], 'TURN shared secret']]);
  });

  it('counts a failed refresh that keeps a stale value serving as a failure and a stale value', async () => {
    const { lines } = await captured(() => mod.metrics.lookupFailed('ivs', 'GetChannel', { stale: true }));
    expect(emf(lines).map((l) => directive(l).Metrics[0]!.Name)).toEqual(['IvsLookupFailures', 'StaleValuesServed']);
  });
});

describe('httpHandler', () => {
  it('puts the API Gateway request id on every log line of the request, and takes it off afterwards', async () => {
    const wrapped = mod.handler.httpHandler('POST /v1/playback-tokens', async () => {
      mod.logger.logger.warn('inside the handler');
      await new Promise((r) => setTimeout(r, 5));
      mod.logger.logger.error('still inside');
      return mod.handler.json(200, { ok: true });
    });
    const { lines } = await captured(async () => {
      await wrapped(event('req-aaa'), lambdaContext);
      mod.logger.logger.warn('after the request');
    });
    const logs = lines.filter((l) => l.message);
    expect(logs.map((l) => [l.message, l.requestId])).toEqual([
      ['inside the handler', 'req-aaa'],
      ['still inside', 'req-aaa'],
      ['request', 'req-aaa'],
      ['after the request', undefined],
    ]);
    // The Lambda context is on the lines too (function name, Lambda's own request id).
    expect(logs[0]).toMatchObject({ function_name: 'TokenVending-PlaybackTokens-abc', function_request_id: 'lambda-req' });
  });

  it('flushes the outcome before returning: TokensIssued on success, Refusals with the problem code on refusal', async () => {
    const ok = mod.handler.httpHandler('POST /v1/playback-tokens', async () => mod.handler.json(200, { token: 'not-a-real-token' }));
    const refused = mod.handler.httpHandler('POST /v1/playback-tokens', async () => {
      throw mod.problem.forbidden('not_entitled', 'no');
    });
    const crashed = mod.handler.httpHandler('POST /v1/room-tokens', async () => {
      throw new TypeError('boom');
    });
    const { lines, raw } = await captured(async () => {
      expect((await ok(event('r1'))).statusCode).toBe(200);
      expect((await refused(event('r2'))).statusCode).toBe(403);
      expect((await crashed(event('r3'))).statusCode).toBe(500);
    });
    expect(emf(lines).map((l) => [directive(l).Metrics[0]!.Name, l.kind ?? `${l.route} ${l.code}`])).toEqual([
      ['TokensIssued', 'playback'],
      ['Refusals', 'POST /v1/playback-tokens not_entitled'],
      ['Refusals', 'POST /v1/room-tokens internal_error'],
    ]);
    expect(raw).not.toContain('not-a-real-token');
  });

  it('counts a cold start once per container, with the function name from the Lambda context', async () => {
    // A fresh module graph is a fresh container.
    vi.resetModules();
    const fresh = await import('../../lambda/http/handler');
    const wrapped = fresh.httpHandler('$default', async () => fresh.json(200, {}));
    const { lines } = await captured(async () => {
      await wrapped(event('c1'), lambdaContext);
      await wrapped(event('c2'), lambdaContext);
    });
    const cold = emf(lines).filter((l) => directive(l).Metrics[0]!.Name === 'ColdStart');
    expect(cold).toHaveLength(1);
    expect(directive(cold[0]!).Dimensions).toEqual([['service', 'function_name']]);
    expect(cold[0]).toMatchObject({ function_name: 'TokenVending-PlaybackTokens-abc', ColdStart: 1, service: 'token-vending' });
  });
});

describe('the HMAC authorizer (not an httpHandler)', () => {
  it('puts the request id on its log lines too', async () => {
    const { handler } = await import('../../lambda/handlers/hmac-authorizer');
    const { lines } = await captured(async () => {
      // No HMAC keys are configured here: the authorizer refuses and logs why.
      const res = await handler({ requestContext: { requestId: 'auth-1', http: { method: 'POST' } }, headers: {}, rawPath: '/v1/playback-tokens' } as never);
      expect(res.isAuthorized).toBe(false);
    });
    const logged = lines.filter((l) => l.message);
    expect(logged.map((l) => l.message)).toContain('HMAC keys unavailable; refusing');
    for (const l of logged) expect(l.requestId, l.message).toBe('auth-1');
  });
});

describe('with metrics switched off in the config', () => {
  it('prints no EMF line, and still logs', async () => {
    vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify({ ...config, observability: { ...config.observability, metrics: { enabled: false, namespace: 'X' } } }));
    vi.resetModules();
    const off = await import('../../lambda/http/handler');
    const offMetrics = await import('../../lambda/metrics');
    const { lines } = await captured(async () => {
      await off.httpHandler('POST /v1/playback-tokens', async () => off.json(200, {}))(event('o1'), lambdaContext);
      offMetrics.lookupFailed('secret', 'x', { stale: true });
    });
    expect(emf(lines)).toEqual([]);
    expect(lines.some((l) => l.message === 'request')).toBe(true);
  });

  it('never breaks a request when the config cannot be read: the answer is the handler chain\'s own', async () => {
    vi.stubEnv('TOKEN_VENDING_CONFIG', '{"channels": []}');
    vi.resetModules();
    const broken = await import('../../lambda/http/handler');
    const { lines } = await captured(async () => {
      // With no readable config nothing can check the edge either: a 500 problem, not an exception.
      const res = await broken.httpHandler('$default', async () => broken.json(200, {}))(event('b1'));
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(String(res.body)).code).toBe('internal_error');
    });
    expect(lines.find((l) => l.message === 'metric not emitted')).toMatchObject({ level: 'WARN', requestId: 'b1' });
  });
});
