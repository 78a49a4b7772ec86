/**
 * Property-based fuzzing through the real handlers: API Gateway v2 events built by the local
 * server's own event builder (lambda/local/event.ts) from generated requests, with the JWT
 * authorizer's claims, passed to each route's exported `handler`. 10,000 cases per route.
 * The invariants are in test/support/fuzz.ts. Seed: fixed when CI=true, else printed.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpHandler } from '../../lambda/http/handler';
import { apiGatewayEvent } from '../../lambda/local/event';
import { flattenClaims } from '../../lambda/local/authorizers';
import { FAKE_AWS_ENV } from '../support/fake-aws';
import { fakeIvsKeys, type FakeIvsKeys } from '../support/fake-ivs-keys';
import {
  anyRequest,
  checkJwks,
  checkResponse,
  checkRevocation,
  revocationRequest,
  FUZZ_CONFIG,
  FUZZ_SEED,
  fuzzParams,
  fuzzSecrets,
  LIVEKIT_API_KEY,
  fuzzRequest,
  unroutedRequest,
  type FuzzRequest,
  type Route,
} from '../support/fuzz';
import { writeTempFile } from '../support/local-server';

const CASES_PER_ROUTE = Number(process.env.FUZZ_CASES ?? 10_000);
const secrets = fuzzSecrets();
const handlers = {} as Record<Route | '$default' | 'revocation' | 'jwks', HttpHandler>;
let ivs: FakeIvsKeys;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  ivs = await fakeIvsKeys(); // StartViewerSessionRevocation, through the real IVS SDK
  // What the stack (or bin/serve.ts) hands the functions, read once by lambda/config/runtime.ts.
  Object.assign(process.env, {
    TOKEN_VENDING_CONFIG: JSON.stringify(FUZZ_CONFIG),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', secrets.playbackPrivatePem),
    TURN_STATIC_AUTH_SECRET: secrets.turnSecret,
    LIVEKIT_API_KEY,
    LIVEKIT_API_SECRET: secrets.livekitSecret,
    LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', secrets.e2eeSecret),
    PSEUDONYM_PEPPER_FILE: writeTempFile('pepper', randomBytes(36).toString('base64url')),
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_IVS: ivs.url,
  });
  handlers.playback = (await import('../../lambda/handlers/playback-tokens')).handler;
  handlers.turn = (await import('../../lambda/handlers/turn-credentials')).handler;
  handlers.room = (await import('../../lambda/handlers/room-tokens')).handler;
  handlers.$default = (await import('../../lambda/handlers/not-found')).handler;
  handlers.revocation = (await import('../../lambda/handlers/viewer-revocations')).handler;
  handlers.jwks = (await import('../../lambda/handlers/jwks')).handler;
  console.log(`fast-check seed ${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED})`);
});
afterAll(async () => {
  await ivs?.close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/**
 * The event API Gateway would build for this request, after the JWT authorizer let it in:
 * `req.claims` is the bearer token's payload; the token rides in `Authorization` (the
 * authorizer's identity source) and the authorizer passes its claims flattened to strings.
 */
function eventFor(req: FuzzRequest, routeKey: string) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const bearer = `Bearer ${b64({ alg: 'RS256', kid: 'k' })}.${b64(req.claims)}.c2ln`;
  const headers = Object.fromEntries(Object.entries({ host: 'api.example.com', ...req.headers, authorization: bearer }).map(([k, v]) => [k.toLowerCase(), v]));
  const incoming = { url: req.path, method: req.method, headers, httpVersion: '1.1', socket: { remoteAddress: '198.51.100.7' } } as unknown as IncomingMessage;
  const event = apiGatewayEvent(incoming, req.body, routeKey);
  Object.assign(event.requestContext, { authorizer: { jwt: { claims: flattenClaims(req.claims), scopes: [] } } });
  return event;
}

/** What the runs answered, per route: "200", "400 invalid_request", ... */
const seen = new Map<string, Map<string, number>>();
function tally(route: string, status: number, body: string) {
  const key = status >= 300 ? `${status} ${(JSON.parse(body) as { code: string }).code}` : String(status);
  const m = seen.get(route) ?? new Map<string, number>();
  seen.set(route, m.set(key, (m.get(key) ?? 0) + 1));
}

async function run(route: Route | '$default', req: FuzzRequest, routeKey: string) {
  const result = await handlers[route](eventFor(req, routeKey));
  tally(route, result.statusCode ?? 200, result.body ?? '');
  await checkResponse(
    route,
    req,
    { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' },
    secrets,
  );
}

describe.each(['playback', 'turn', 'room'] as const)('fuzzing the %s handler', (route) => {
  it(`meets the invariants for ${CASES_PER_ROUTE} generated requests (anything, one change from valid, valid)`, async () => {
    const started = performance.now();
    const request = fuzzRequest(route);
    await fc.assert(
      fc.asyncProperty(request, (req) => run(route, req, `POST ${req.path}`)),
      fuzzParams(CASES_PER_ROUTE),
    );
    const answers = [...seen.get(route)!].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    console.log(`fuzz ${route}: ${CASES_PER_ROUTE} cases in ${Math.round(performance.now() - started)} ms; ${answers.join(', ')}`);
    // The generators reach the token path, and a range of refusals, not one of them only.
    expect(seen.get(route)!.get(route === 'room' ? '201' : '200')).toBeGreaterThan(CASES_PER_ROUTE / 10);
    expect(seen.get(route)!.size).toBeGreaterThan(4);
  }, 120_000);
});

describe('fuzzing the $default handler', () => {
  it(`answers ${CASES_PER_ROUTE} unrouted methods and paths with a 404 or 405 problem (OPTIONS: an empty 204)`, async () => {
    const route = fc.tuple(unroutedRequest, anyRequest('playback')).map(([u, r]) => ({ ...r, ...u }));
    await fc.assert(
      fc.asyncProperty(route, (req) => run('$default', req, '$default')),
      fuzzParams(CASES_PER_ROUTE),
    );
    expect([...seen.get('$default')!.keys()].sort()).toEqual(['204', '404 not_found', '405 method_not_allowed']);
  }, 120_000);
});

describe('fuzzing the key-lifecycle routes', () => {
  it(`viewer revocations: ${CASES_PER_ROUTE} requests; only moderators revoke, on their channels, by pseudonym`, async () => {
    await fc.assert(
      fc.asyncProperty(revocationRequest(), async (req) => {
        const before = ivs.revocations.length;
        const result = await handlers.revocation(eventFor(req, 'POST /v1/viewer-revocations'));
        tally('revocation', result.statusCode ?? 200, result.body ?? '');
        const calls = ivs.revocations.slice(before);
        if (calls.length > 1) throw new Error(`${calls.length} IVS calls for one request`);
        checkRevocation(req, { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' }, calls[0]);
      }),
      fuzzParams(CASES_PER_ROUTE),
    );
    const answers = [...seen.get('revocation')!].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    console.log(`fuzz revocation: ${CASES_PER_ROUTE} cases; ${answers.join(', ')}`);
    expect(seen.get('revocation')!.get('202')).toBeGreaterThan(CASES_PER_ROUTE / 10);
  }, 300_000);

  it(`JWKS: ${CASES_PER_ROUTE} requests with any method, headers, body and claims get the one public key`, async () => {
    const req = fc.tuple(anyRequest('playback'), fc.constantFrom('GET', 'HEAD', 'POST'), fc.webQueryParameters()).map(([r, method, q]) => ({ ...r, method, path: `/.well-known/jwks.json${q ? `?${q}` : ''}` }));
    await fc.assert(
      fc.asyncProperty(req, async (r) => {
        const result = await handlers.jwks(eventFor(r, 'GET /.well-known/jwks.json'));
        await checkJwks({ status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' }, secrets);
      }),
      fuzzParams(CASES_PER_ROUTE),
    );
  }, 300_000);
});
