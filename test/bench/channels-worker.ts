/**
 * One bench case in its own worker thread (its own module graph, so its own once-per-container
 * config): the playback handler, with the config in `workerData.config`, asked for
 * `workerData.channel`. Reports the first request (config read + parse + index, key load) and
 * the warm figure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measure } from './harness';

const { config, channel, keyFile, name } = workerData as { config: string; channel: string; keyFile: string; name: string };
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.TOKEN_VENDING_CONFIG = config;
process.env.PLAYBACK_PRIVATE_KEY_FILE = keyFile;

const { handler } = await import('../../lambda/handlers/playback-tokens');
const event = {
  version: '2.0', routeKey: 'POST /v1/playback-tokens', rawPath: '/v1/playback-tokens', rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: { requestId: 'bench', http: { method: 'POST', path: '/v1/playback-tokens' }, authorizer: { jwt: { claims: { sub: 'bench-user', iss: 'urn:bench' }, scopes: [] } } },
  body: JSON.stringify({ channel }), isBase64Encoded: false,
} as unknown as Parameters<typeof handler>[0];

const started = performance.now();
const first = await handler(event);
const firstMs = performance.now() - started;
if (first.statusCode !== 200) throw new Error(`${name}: handler answered ${first.statusCode}: ${first.body}`);
const warm = await measure(name, () => handler(event));
parentPort!.postMessage({ warm, firstMs });
