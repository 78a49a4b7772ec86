/**
 * Local conveniences of `npm start` that are NOT API routes and do not exist in the deployed
 * API (there, these paths reach the `$default` route: 404 problem+json):
 *
 * - `GET /openapi.json`: the OpenAPI document (lambda/http/openapi.ts), always.
 * - `GET /` and `GET /demo/*`: the demo page (lambda/local/demo/), in dev mode only (when the
 *   server treats every request as the fixed dev user). Its script is bundled by esbuild (a
 *   dev dependency) on first request, with the IVS web player and the typed client.
 *
 * They never touch the API routes: the server asks here first only for GET of these exact
 * paths, and the routes keep going through the same authorizer emulation and handlers.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpResult } from '../http/handler';
import { ROUTES } from '../http/routes';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEMO_DIR = join(HERE, 'demo');
/** The IVS player's web workers and WebAssembly, served beside the page (PlayerConfig wasmWorker / wasmBinary). */
const PLAYER_ASSETS: Record<string, string> = {
  'amazon-ivs-wasmworker.min.js': 'application/javascript',
  'amazon-ivs-wasmworker.min.wasm': 'application/wasm',
};

export type Convenience = (method: string, path: string) => Promise<HttpResult | undefined>;

const page = (contentType: string, body: string | Buffer): HttpResult => ({
  statusCode: 200,
  headers: { 'content-type': contentType, 'cache-control': 'no-store' },
  ...(typeof body === 'string' ? { body } : { body: body.toString('base64'), isBase64Encoded: true }),
});

export function localConveniences(opts: { demo: boolean }): Convenience {
  const paths = ['/openapi.json', ...(opts.demo ? ['/', '/demo/demo.js', ...Object.keys(PLAYER_ASSETS).map((a) => `/demo/${a}`)] : [])];
  const clash = ROUTES.find((r) => paths.includes(r.path));
  if (clash) throw new Error(`local convenience ${clash.path} would shadow an API route`);
  let script: Promise<string> | undefined;

  return async (method, path) => {
    if (method !== 'GET' || !paths.includes(path)) return undefined;
    if (path === '/openapi.json') {
      const { openApiJson } = await import('../http/openapi');
      return page('application/json', openApiJson());
    }
    if (path === '/') return page('text/html; charset=utf-8', await readFile(join(DEMO_DIR, 'index.html'), 'utf8'));
    if (path === '/demo/demo.js') return page('application/javascript; charset=utf-8', await (script ??= bundleDemo()));
    const asset = path.slice('/demo/'.length);
    const require = createRequire(import.meta.url);
    const file = resolve(dirname(require.resolve('amazon-ivs-player')), 'assets', asset);
    return page(PLAYER_ASSETS[asset]!, await readFile(file));
  };
}

async function bundleDemo(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(DEMO_DIR, 'demo.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return out.outputFiles[0]!.text;
}
