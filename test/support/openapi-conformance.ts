/**
 * Every response a test receives from a local server (test/support/local-server.ts registers
 * each one it starts) is checked against the checked-in `openapi.json`: the operation's
 * declared status (or `default`), its content type, and its body against the response schema
 * (ajv, JSON Schema 2020-12). A response that does not conform makes the `fetch` that received
 * it throw, so the test that met it fails and says why. Installed for every test file by
 * vitest.config.ts (`setupFiles`); it wraps `globalThis.fetch`, so LiveKit's TokenSource and
 * our client are checked too. Browser fetches (Chromium) are not seen here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
let compiled: { doc: Json; ajv: Ajv2020; cache: Map<string, ValidateFunction> } | undefined;

export function openApiSpec(): Json {
  return (compiled ??= load()).doc;
}

function load() {
  const doc = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../openapi.json'), 'utf8')) as Json;
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  // Components by their document address, so that "#/components/schemas/X" refs resolve.
  ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
  return { doc, ajv, cache: new Map<string, ValidateFunction>() };
}

function validatorFor(ref: string): ValidateFunction {
  const c = (compiled ??= load());
  let v = c.cache.get(ref);
  if (!v) {
    v = c.ajv.compile({ $ref: `openapi.json${ref}` });
    c.cache.set(ref, v);
  }
  return v;
}

/** Is the path a documented one (exact, no templating in our API)? */
function operationOf(method: string, path: string): Json | undefined {
  return openApiSpec().paths[path]?.[method.toLowerCase()];
}

export interface Checked {
  method: string;
  path: string;
  status: number;
  /** The schema the body was checked against. */
  schema: string;
}
/** What has been checked in this test file, for tests that want to see the net work. */
export const checkedResponses: Checked[] = [];

export class OpenApiConformanceError extends Error {
  override readonly name = 'OpenApiConformanceError';
}

/**
 * Check one response (its body already read as text). Unknown paths and wrong methods are
 * the `$default` route's: their body must be a Problem. OPTIONS (preflights, answered by API
 * Gateway's CORS) and bodiless answers (204) are not bodies to check.
 */
export function checkResponse(method: string, path: string, status: number, contentType: string | null, text: string): Checked | undefined {
  if (method === 'OPTIONS' || method === 'HEAD' || status === 204) return undefined;
  // The local server's own pages (lambda/local/conveniences.ts) are not API routes.
  if (method === 'GET' && status === 200 && (path === '/openapi.json' || path === '/' || path.startsWith('/demo/'))) return undefined;
  const where = `${method} ${path} -> ${status}`;
  const op = operationOf(method, path);
  let content: Json | undefined;
  if (op) {
    const response = op.responses[String(status)] ?? op.responses.default;
    if (!response) throw new OpenApiConformanceError(`${where}: status not in the OpenAPI document`);
    content = response.content;
  } else {
    if (status < 400) throw new OpenApiConformanceError(`${where}: a success on an undocumented path`);
    content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } }, 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } };
  }
  const type = contentType?.split(';')[0]?.trim() ?? '';
  const media = content?.[type];
  if (!media) throw new OpenApiConformanceError(`${where}: content-type "${type}" not documented (${Object.keys(content ?? {}).join(', ')})`);
  const ref = media.schema.$ref as string;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpenApiConformanceError(`${where}: body is not JSON`);
  }
  const validate = validatorFor(ref);
  if (!validate(body)) {
    throw new OpenApiConformanceError(`${where}: body does not match ${ref}: ${JSON.stringify(validate.errors)}`);
  }
  const checked = { method, path, status, schema: ref };
  checkedResponses.push(checked);
  return checked;
}

const servers = new Set<string>();
/** Called by startLocalServer: responses from this origin are checked from now on. */
export function checkResponsesFrom(origin: string): void {
  servers.add(new URL(origin).origin);
}

let installed = false;
export function installFetchCheck(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!servers.has(url.origin)) return response;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const text = await response.clone().text();
    checkResponse(method, url.pathname, response.status, response.headers.get('content-type'), text);
    return response;
  };
}
