/**
 * Property-based fuzzing through the local server's HTTP path (what `npm start` runs, over
 * loopback): the same generators and invariants as the handler-level fuzz, plus what only
 * HTTP carries: methods, paths, query strings, content encodings, header framing, body sizes.
 * As many cases as the handler-level run in CI (10,000 per route); 1,000 locally.
 * The server runs in dev mode (its fixed identity holds the "everyone" entitlement only).
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectHealthyProcess, WARN_ON_UNHANDLED_REJECTION } from '../support/fault-checks';
import {
  checkResponse,
  FUZZ_CONFIG,
  FUZZ_SEED,
  fuzzParams,
  fuzzRequest,
  fuzzSecrets,
  LIVEKIT_API_KEY,
  ROUTE_PATHS,
  unroutedRequest,
  type FuzzRequest,
  type FuzzResponse,
  type Route,
} from '../support/fuzz';
import { startLocalServer, writeTempFile, type LocalServer } from '../support/local-server';

/** 10,000 per route in CI (as the handler-level run); 1,000 locally, to keep `npm test` quick. */
const CASES_PER_ROUTE = Number(process.env.FUZZ_HTTP_CASES ?? (process.env.CI === 'true' ? 10_000 : 1_000));
const DEV_CLAIMS = { sub: 'local-dev-user', iss: 'urn:token-vending:local-dev' };
const secrets = fuzzSecrets();
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({
    ...WARN_ON_UNHANDLED_REJECTION,
    CONFIG_FILE: writeTempFile('config.json', JSON.stringify(FUZZ_CONFIG)),
    PLAYBACK_PRIVATE_KEY_FILE: writeTempFile('playback.pem', secrets.playbackPrivatePem),
    TURN_STATIC_AUTH_SECRET: secrets.turnSecret,
    LIVEKIT_API_KEY,
    LIVEKIT_API_SECRET: secrets.livekitSecret,
    LIVEKIT_E2EE_SECRET_FILE: writeTempFile('e2ee', secrets.e2eeSecret),
  });
  console.log(`fast-check seed ${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED})`);
});
afterAll(async () => {
  agent.destroy();
  if (server) {
    await expectHealthyProcess(server);
    await server.stop();
  }
});

/** Header values HTTP can carry; anything else is sent percent-encoded. */
const headerSafe = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v));

function send(req: FuzzRequest): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    // Framing: a length, or chunks (both at once is a smuggling attempt that Node refuses before
    // any handler runs, with a bare 400, as API Gateway's edge would).
    const headers: Record<string, string> = req.headers['transfer-encoding'] ? {} : { 'content-length': String(req.body.length) };
    for (const [k, v] of Object.entries(req.headers)) headers[k] = headerSafe(v);
    const r = request(server.url + req.path, { method: req.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: { 'content-type': res.headers['content-type'], 'cache-control': res.headers['cache-control'] },
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

const query = fc.oneof(fc.constantFrom('?', '?token=x', '?channel=premium&a=1&a=2', '?%zz'), fc.webQueryParameters().map((q) => `?${q}`));
const sameRoute = (route: Route): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    { weight: 6, arbitrary: fuzzRequest(route, false) },
    // A query string changes nothing: a valid request stays valid.
    { weight: 1, arbitrary: fc.tuple(fuzzRequest(route, false), query).map(([r, q]) => ({ ...r, path: r.path + q })) },
    // Encodings the API does not decode, chunked framing, odd header casing.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fuzzRequest(route, false), fc.constantFrom('gzip', 'br', 'identity', 'x-unknown'), fc.boolean())
        .map(([r, enc, chunked]) => ({
          ...r,
          headers: { ...r.headers, 'content-encoding': enc, ...(chunked ? { 'transfer-encoding': 'chunked' } : {}) },
          valid: false,
        })),
    },
  );

/** The dev identity is the caller of every HTTP request. */
const asDev = (r: FuzzRequest): FuzzRequest => ({ ...r, claims: DEV_CLAIMS });

describe('fuzzing the local server over HTTP', () => {
  it.each(['playback', 'turn', 'room'] as const)(`%s: ${CASES_PER_ROUTE} requests meet the invariants`, async (route) => {
    const started = performance.now();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(sameRoute(route), async (generated) => {
        const req = asDev(generated);
        const res = await send(req);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await checkResponse(route, req, res, secrets);
      }),
      fuzzParams(CASES_PER_ROUTE),
    );
    const tally = [...statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s}: ${n}`).join(', ');
    console.log(`fuzz http ${route}: ${CASES_PER_ROUTE} requests in ${Math.round(performance.now() - started)} ms; ${tally}`);
    // The token path is reached over HTTP too, not only refusals.
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(CASES_PER_ROUTE / 20);
  }, 600_000);

  it(`unrouted methods and paths: ${CASES_PER_ROUTE} requests get a 404 or 405 problem (OPTIONS: 204)`, async () => {
    const gen = fc.tuple(unroutedRequest, fuzzRequest('playback', false), fc.option(query, { nil: '' })).map(([u, r, q]) => asDev({ ...r, ...u, path: u.path + q, valid: false }));
    await fc.assert(
      fc.asyncProperty(gen, async (req) => {
        const routed = Object.values(ROUTE_PATHS).includes(req.path.split('?')[0]!) && req.method === 'POST';
        const res = await send(req);
        // Local conveniences of npm start, not routes (lambda/local/conveniences.ts): the dev-mode
        // demo page and the OpenAPI document. The deployed API answers these paths 404.
        const path = new URL(`http://x${req.path}`).pathname;
        if (req.method === 'GET' && (path === '/' || path === '/openapi.json' || path.startsWith('/demo/')) && res.status === 200) return;
        if (req.method === 'HEAD') {
          // No body on a HEAD response; the status and type still say what happened.
          expect([404, 405, 200, 201, 400, 401, 403, 413, 415]).toContain(res.status);
          return;
        }
        await checkResponse(routed ? (Object.entries(ROUTE_PATHS).find(([, p]) => req.path.startsWith(p))![0] as Route) : '$default', req, res, secrets);
        // OPTIONS reaches the not-found function (through the unauthorized OPTIONS /{proxy+}
        // route, or for "/" through $default after the dev identity): an empty 204.
        if (!routed) expect(req.method === 'OPTIONS' ? [204] : [404, 405]).toContain(res.status);
      }),
      fuzzParams(CASES_PER_ROUTE),
    );
  }, 600_000);
});
