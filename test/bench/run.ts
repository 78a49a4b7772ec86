/**
 * `npm run bench`: how much our minting costs over the bare cryptography it cannot avoid.
 *
 * Baseline: raw `crypto.sign` (ES384, IEEE P1363) over a JWT signing input of the same size.
 * Subjects: our signer (jsonwebtoken with a cached KeyObject), the same library handed a PEM
 * string (what DESIGN.md forbids), and the whole playback handler (event in, response out)
 * with a warm key cache.
 */
import { createHmac, createSecretKey, randomBytes, sign } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import jwt from 'jsonwebtoken';
import { AccessToken } from 'livekit-server-sdk';
import { devConfig, parseConfig } from '../../lambda/config/schema';
import { playbackClaims, signPlaybackToken } from '../../lambda/tokens/playback';
import { turnCredentials } from '../../lambda/tokens/turn';
import { roomTokenClaims, signRoomToken } from '../../lambda/tokens/room';
import { p384KeyPair } from '../support/keys';
import { writeTempFile } from '../support/local-server';
import { measure, report, type BenchResult } from './harness';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// One EMF line per call would flood the report; README "Operations" gives the metric's own cost.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const keys = p384KeyPair();
const config = devConfig();
const channelArn = config.channels[0]!.arn;
const claims = () => playbackClaims({ channelArn, now: new Date(), ttlSeconds: 300, allowOrigin: 'https://watch.example.com' });

const header = Buffer.from(JSON.stringify({ alg: 'ES384', typ: 'JWT' })).toString('base64url');
const rawSign = () => {
  const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
  return `${input}.${sign('sha384', Buffer.from(input), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};

process.env.TOKEN_VENDING_CONFIG = JSON.stringify(config);
process.env.PLAYBACK_PRIVATE_KEY_FILE = writeTempFile('bench-key.pem', keys.pkcs8Pem);
const turnSecret = randomBytes(32).toString('base64url');
process.env.TURN_STATIC_AUTH_SECRET = turnSecret;
const { handler } = await import('../../lambda/handlers/playback-tokens');
const { handler: turnHandler } = await import('../../lambda/handlers/turn-credentials');
const lkSecret = randomBytes(30).toString('base64url');
process.env.LIVEKIT_API_KEY = 'APIbench';
process.env.LIVEKIT_API_SECRET = lkSecret;
process.env.LIVEKIT_E2EE_SECRET_FILE = writeTempFile('bench-e2ee', randomBytes(32).toString('base64url'));
const { handler: roomHandler } = await import('../../lambda/handlers/room-tokens');
const event = {
  version: '2.0', routeKey: 'POST /v1/playback-tokens', rawPath: '/v1/playback-tokens', rawQueryString: '',
  headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
  requestContext: { requestId: 'bench', http: { method: 'POST', path: '/v1/playback-tokens' }, authorizer: { jwt: { claims: { sub: 'bench-user', iss: 'urn:bench' }, scopes: [] } } },
  body: JSON.stringify({ channel: 'demo' }), isBase64Encoded: false,
} as unknown as Parameters<typeof handler>[0];
const turnEvent = { ...event, routeKey: 'POST /v1/turn-credentials', rawPath: '/v1/turn-credentials', body: undefined, headers: {} } as typeof event;
const roomEvent = { ...event, routeKey: 'POST /v1/room-tokens', rawPath: '/v1/room-tokens', body: JSON.stringify({ room_name: 'demo', participant_name: 'Bench' }) } as typeof event;
for (const [h, e] of [[handler, event], [turnHandler, turnEvent], [roomHandler, roomEvent]] as const) {
  const first = await h(e);
  if (first.statusCode !== 200 && first.statusCode !== 201) throw new Error(`handler answered ${first.statusCode}: ${first.body}`);
}

// LiveKit baseline: LiveKit's own server SDK minting the same grant.
const demoPolicy = config.livekit!.roomPolicies[0]!;
const lkKey = createSecretKey(Buffer.from(lkSecret));
const sdkRoomToken = () => {
  const at = new AccessToken('APIbench', lkSecret, { identity: 'bench-user', name: 'Bench', ttl: 900 });
  at.addGrant({ room: 'demo', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false });
  return at.toJwt();
};

// TURN baseline: the bare HMAC-SHA1 over "<expiry>:<user>" with the string secret.
const turnKey = createSecretKey(Buffer.from(turnSecret));
const rawTurn = () => {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:bench-user-id`;
  return { username, password: createHmac('sha1', turnSecret).update(username).digest('base64') };
};
const turnUris = config.turn!.uris;

const baseline = await measure('raw crypto.sign ES384', rawSign);
const ours = await measure('signPlaybackToken (KeyObject)', () => signPlaybackToken(claims(), keys.privateKey));
const pem = await measure('jsonwebtoken with a PEM string', () => jwt.sign(claims(), keys.pkcs8Pem, { algorithm: 'ES384', noTimestamp: true }));
const full = await measure('playback handler, warm', () => handler(event));
const turnBase = await measure('raw HMAC-SHA1 TURN password', rawTurn);
const turnOurs = await measure('turnCredentials (KeyObject)', () =>
  turnCredentials({ userId: 'bench-user-id', now: new Date(), ttlSeconds: 3600, key: turnKey, uris: turnUris }),
);
const turnFull = await measure('turn handler, warm', () => turnHandler(turnEvent));
const lkSdk = await measure('livekit-server-sdk AccessToken.toJwt', sdkRoomToken);
const roomOurs = await measure('signRoomToken (KeyObject)', () =>
  signRoomToken(roomTokenClaims({ apiKey: 'APIbench', identity: 'bench-user', room: 'demo', policy: demoPolicy, now: new Date(), ttlSeconds: 900, name: 'Bench' }), lkKey),
);
const roomFull = await measure('room handler, warm', () => roomHandler(roomEvent));

// Channels at scale: the whole playback handler asked for the last of 10,000 configured
// channels (each listed by id in the entitlement) against the same with one channel. Each
// runs in its own worker thread: its own module graph, so its own once-per-container config.
const scaleConfig = (n: number) =>
  JSON.stringify(
    parseConfig({
      channels: Array.from({ length: n }, (_, i) => ({
        id: `ch-${i}`,
        arn: `arn:aws:ivs:us-east-1:123456789012:channel/Ch${String(i).padStart(8, '0')}`,
        playbackUrl: `https://0123456789ab.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123456789012.channel.Ch${i}.m3u8`,
      })),
      entitlements: [{ name: 'listed', channels: Array.from({ length: n }, (_, i) => `ch-${i}`) }],
    }),
  );
const inWorker = (name: string, n: number) =>
  new Promise<{ warm: BenchResult; firstMs: number }>((resolve, reject) => {
    // A worker does not inherit tsx's loader: register it, then load the TypeScript case.
    const entry = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./channels-worker.ts', import.meta.url).href)}); })`;
    const w = new Worker(entry, {
      eval: true,
      workerData: { name, config: scaleConfig(n), channel: `ch-${n - 1}`, keyFile: process.env.PLAYBACK_PRIVATE_KEY_FILE },
    });
    w.once('message', (m: { warm: BenchResult; firstMs: number }) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
const oneChannel = await inWorker('playback handler, 1 channel', 1);
const manyChannels = await inWorker('playback handler, last of 10,000 channels', 10_000);

const ok = report([baseline, ours, pem, full, turnBase, turnOurs, turnFull, lkSdk, roomOurs, roomFull, oneChannel.warm, manyChannels.warm], [
  { subject: ours, baseline, maxRatio: 1.2 },
  { subject: full, baseline, maxRatio: 1.4 },
  { subject: turnOurs, baseline: turnBase, maxRatio: 3.0 },
  // The whole TURN request (parse, authorize, mint, JSON, log) still costs less than one ES384 signature.
  { subject: turnFull, baseline, maxRatio: 0.05 },
  { subject: roomOurs, baseline: lkSdk, maxRatio: 1.0 },
  { subject: roomFull, baseline: lkSdk, maxRatio: 1.2 },
  // Map lookups: the number of channels must not show in the warm figure.
  { subject: manyChannels.warm, baseline: oneChannel.warm, maxRatio: 1.25 },
]);
console.log(
  `\nFirst request (config read + validate + index, key load): 1 channel ${oneChannel.firstMs.toFixed(1)} ms, ` +
    `10,000 channels ${manyChannels.firstMs.toFixed(1)} ms (${(scaleConfig(10_000).length / 1e6).toFixed(1)} MB of config)`,
);
console.log(`\nPEM re-parse penalty avoided: ${(pem.nsPerOp / ours.nsPerOp).toFixed(2)}x`);
process.exit(ok ? 0 : 1);
