/**
 * The OpenAPI 3.1 document: generated from the zod schemas, checked in as openapi.json and
 * kept equal to the generated one, valid by the OpenAPI 3.1 schema, with problem+json errors
 * and the security schemes on every route.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it, vi } from 'vitest';
import { openApiDocument, openApiJson } from '../../lambda/http/openapi';
import { ROUTES } from '../../lambda/http/routes';
import * as requests from '../../lambda/http/schemas';
import { checkResponse, OpenApiConformanceError } from '../support/openapi-conformance';

const checkedIn = readFileSync('openapi.json', 'utf8');
const doc = openApiDocument() as any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('openapi.json', () => {
  it('is the document the zod schemas generate (regenerate with `npm run openapi`)', () => {
    expect(checkedIn, 'openapi.json is stale: run `npm run openapi` and commit it').toBe(openApiJson());
  });

  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(checkedIn));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator does refuse a broken document (a response without its description).
    const broken = { ...JSON.parse(checkedIn), paths: { '/x': { get: { responses: { 200: {} } } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes every route of the route table, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers every error of every route as application/problem+json, with a default', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        const errors = Object.keys(op.responses).filter((s) => s === 'default' || Number(s) >= 400);
        expect(errors, `${method} ${path}`).toContain('default');
        expect(errors.length, `${method} ${path}`).toBeGreaterThanOrEqual(3);
        for (const status of errors) {
          expect(op.responses[status].content['application/problem+json'].schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        }
      }
    }
    expect(doc.paths['/v1/room-tokens'].post.responses['403'].description).toContain('field_not_allowed');
  });

  it('declares bearer JWT and the HMAC headers as security schemes; only the JWKS is public', () => {
    expect(doc.components.securitySchemes.bearerJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const hmac = Object.values(doc.components.securitySchemes).filter((s: any) => s.type === 'apiKey'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(hmac.map((s: any) => s.name).sort()).toEqual(['x-tv-content-sha256', 'x-tv-key-id', 'x-tv-signature', 'x-tv-subject', 'x-tv-timestamp']); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.paths['/v1/playback-tokens'].post.security).toEqual([
      { bearerJwt: [] },
      { hmacKeyId: [], hmacTimestamp: [], hmacSubject: [], hmacContentSha256: [], hmacSignature: [] },
    ]);
    expect(doc.paths['/.well-known/jwks.json'].get.security).toEqual([]);
  });

  it('takes request bodies from the same zod schemas that validate them (strict: unknown fields refused)', () => {
    const room = doc.components.schemas.RoomTokenRequest;
    expect(room.required).toEqual(['room_name']);
    expect(room.additionalProperties).toBe(false);
    expect(room.properties.room_name.pattern).toBe('^[A-Za-z0-9_-]{1,128}$');
    expect(Object.keys(room.properties).sort()).toEqual(Object.keys(requests.roomTokenRequest.shape).sort());
    expect(room.properties.room_config.anyOf[0].properties.agents.anyOf[0].items.required).toEqual(['agent_name']);
    expect(doc.components.schemas.PlaybackTokenRequest.properties.maximumResolution.enum).toEqual(['SD', 'HD', 'FULL_HD']);
  });
});

describe('the response check every e2e test runs (test/support/openapi-conformance.ts)', () => {
  const token = { token: 'a.b.c', expiresAt: '2026-01-01T00:00:00.000Z', playbackUrl: 'https://x.example/a.m3u8?token=a.b.c', channelArn: 'arn' };
  const problem = { type: 'urn:token-vending:problem:not_entitled', title: 'Forbidden', status: 403, detail: 'd', code: 'not_entitled' };

  it('accepts a conforming success and a conforming problem', () => {
    expect(checkResponse('POST', '/v1/playback-tokens', 200, 'application/json', JSON.stringify(token))?.schema).toBe('#/components/schemas/PlaybackToken');
    expect(checkResponse('POST', '/v1/playback-tokens', 403, 'application/problem+json', JSON.stringify(problem))?.schema).toBe('#/components/schemas/Problem');
    expect(checkResponse('GET', '/nowhere', 404, 'application/problem+json', JSON.stringify({ ...problem, status: 404, code: 'not_found' }))).toBeDefined();
  });

  it('refuses a body with an extra or missing field, a wrong content type, and a success on an unknown path', () => {
    expect(() => checkResponse('POST', '/v1/playback-tokens', 200, 'application/json', JSON.stringify({ ...token, secret: 1 }))).toThrow(OpenApiConformanceError);
    expect(() => checkResponse('POST', '/v1/playback-tokens', 200, 'application/json', JSON.stringify({ token: 'x' }))).toThrow(/PlaybackToken/);
    expect(() => checkResponse('POST', '/v1/playback-tokens', 403, 'text/plain', 'no')).toThrow(/content-type/);
    expect(() => checkResponse('GET', '/nowhere', 200, 'application/json', '{}')).toThrow(/undocumented/);
    expect(() => checkResponse('POST', '/v1/room-tokens', 201, 'application/json', JSON.stringify({ server_url: 'wss://x' }))).toThrow(/RoomToken/);
  });
});

describe('the deployed functions', () => {
  it('import nothing of the OpenAPI document, the response schemas (types only), the local server or the client', async () => {
    const handlers = readdirSync('lambda/handlers').filter((f) => f.endsWith('.ts'));
    expect(handlers.length).toBeGreaterThanOrEqual(8);
    for (const file of handlers) {
      const out = await build({ entryPoints: [`lambda/handlers/${file}`], bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
      const inputs = Object.keys(out.metafile!.inputs);
      expect(inputs, file).toContain(`lambda/handlers/${file}`);
      expect(inputs.filter((i) => /http\/(openapi|responses)\.ts$|lambda\/local\/|^client\//.test(i)), file).toEqual([]);
    }
  });
});

describe('the deployed $default route', () => {
  it('answers the local conveniences\' paths (/, /openapi.json, /demo/demo.js) with 404: they exist only in npm start', async () => {
    const { devConfig } = await import('../../lambda/config/schema');
    vi.stubEnv('TOKEN_VENDING_CONFIG', JSON.stringify(devConfig()));
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    try {
      const { handler } = await import('../../lambda/handlers/not-found');
      for (const path of ['/', '/openapi.json', '/demo/demo.js']) {
        const res = await handler({ rawPath: path, headers: {}, requestContext: { http: { method: 'GET' }, requestId: 'r' } } as never);
        expect(res.statusCode, path).toBe(404);
        expect(JSON.parse(res.body!).code).toBe('not_found');
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
