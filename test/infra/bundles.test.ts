/**
 * The artifacts `cdk deploy` would upload: each function's esbuild bundle (ESM, minified,
 * `@aws-sdk/*` external as on the nodejs24.x runtime) is imported and invoked here, with
 * its secrets read through the real AWS SDK from a loopback Secrets Manager. This catches
 * what Template tests cannot: a bundle that fails to load (CommonJS inside ESM), a missing
 * environment variable, a handler that only works from source.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';
import { FAKE_AWS_ENV, fakeIvs, fakeSecretsManager } from '../support/fake-aws';
import { printedBy } from '../support/fault-checks';
import { p384KeyPair } from '../support/keys';

const OUTDIR = resolve('cdk.out/bundle-test'); // inside the project, so `@aws-sdk/*` resolves as on Lambda
const keys = p384KeyPair();
const lk = { apiKey: 'APIbundle', apiSecret: randomBytes(30).toString('base64url') };
const E2EE_MASTER = randomBytes(32).toString('base64url');
const hmacKey = randomBytes(32).toString('base64url');
const arn = (n: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}-AbCdEf`;

const config = parseConfig({
  channels: [{ id: 'demo', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/Demo', playbackUrl: 'https://x.playback.live-video.net/a.m3u8' }],
  playback: { signingKeySecretArn: arn('playback') },
  turn: { uris: ['turn:turn.example.com:3478'], secretArn: arn('turn') },
  livekit: {
    url: 'wss://lk.example.com', credentialsSecretArn: arn('livekit'), e2eeSecretArn: arn('e2ee'),
    roomPolicies: [{ name: 'demo', rooms: ['demo'], e2ee: true }],
  },
  entitlements: [{ name: 'all', channels: ['*'], turn: true, roomPolicies: ['demo'] }],
  auth: { type: 'hmac', keysSecretArn: arn('hmac'), hosts: ['api.example.com'] },
});

let sm: Awaited<ReturnType<typeof fakeSecretsManager>>;
let stack: TokenVendingStack;
const saved = { ...process.env };

beforeAll(async () => {
  sm = await fakeSecretsManager({
    [arn('playback')]: { string: keys.sec1Pem },
    [arn('turn')]: { string: JSON.stringify({ secrets: ['turn-secret-one', 'turn-secret-two'] }) },
    [arn('livekit')]: { string: JSON.stringify(lk) },
    [arn('e2ee')]: { string: E2EE_MASTER },
    [arn('hmac')]: { string: JSON.stringify({ 'backend-1': hmacKey }) },
    [arn('created-PSEUDONYM_PEPPER_SECRET_ID')]: { string: randomBytes(32).toString('base64url') },
  });
  Object.assign(process.env, FAKE_AWS_ENV, { AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url, POWERTOOLS_LOG_LEVEL: 'SILENT' });
  const app = new App({ outdir: OUTDIR });
  stack = new TokenVendingStack(app, 'Bundles', { config });
  app.synth();
});
afterAll(async () => {
  process.env = saved;
  await sm?.close();
  rmSync(OUTDIR, { recursive: true, force: true });
});

/** Import a function's bundle with exactly the environment the stack gives it. */
async function deployed(handler: string, from = { stack, outdir: OUTDIR }) {
  const fn = from.stack.api.functions[handler]!.fn;
  const asset = fn.node.findChild('Code') as Asset;
  const env = (from.stack.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, string> }).variables;
  // A secret the stack always creates (the pseudonym pepper) resolves to {Ref}: use its loopback copy.
  for (const [k, v] of Object.entries(env)) if (typeof v !== 'string') env[k] = arn(`created-${k}`);
  for (const k of Object.keys(process.env)) if (/_SECRET_ID$|^TOKEN_VENDING_CONFIG$/.test(k)) delete process.env[k];
  Object.assign(process.env, env);
  const mod = await import(`${pathToFileURL(join(from.outdir, asset.assetPath, 'index.mjs')).href}?${from.stack.stackName}-${handler}`);
  return mod.handler as (e: unknown) => Promise<any>;
}

const event = (path: string, body: unknown) => ({
  version: '2.0', routeKey: `POST ${path}`, rawPath: path, rawQueryString: '', headers: { 'content-type': 'application/json' },
  requestContext: { requestId: 'r', http: { method: 'POST', path }, authorizer: { jwt: { claims: { sub: 'user-1', iss: 'https://idp' } } } },
  body: JSON.stringify(body), isBase64Encoded: false,
});

describe('the deployed bundles', () => {
  it('playback-tokens signs with the key from Secrets Manager', async () => {
    const res = await (await deployed('playback-tokens'))(event('/v1/playback-tokens', { channel: 'demo' }));
    expect(res.statusCode, res.body).toBe(200);
    await expect(jwtVerify(JSON.parse(res.body).token, keys.publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
  });

  it('playback-tokens prints the EMF line of the token it issued, in the namespace of the config', async () => {
    const playback = await deployed('playback-tokens');
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: unknown) => ((out += String(chunk)), true)) as typeof process.stdout.write;
    try {
      expect((await playback(event('/v1/playback-tokens', { channel: 'demo' }))).statusCode).toBe(200);
    } finally {
      process.stdout.write = write;
    }
    const emf = out.split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toEqual({ Namespace: 'TokenVending', Dimensions: [['service', 'kind']], Metrics: [{ Name: 'TokensIssued', Unit: 'Count' }] });
    expect(emf[0]).toMatchObject({ service: 'token-vending', kind: 'playback', TokensIssued: 1 });
  });

  it('turn-credentials answers with credentials from the first TURN secret', async () => {
    const res = await (await deployed('turn-credentials'))(event('/v1/turn-credentials', {}));
    expect(res.statusCode, res.body).toBe(200);
    const c = JSON.parse(res.body);
    expect(c.iceServers).toHaveLength(1);
    expect(c.password).toBe(createHmac('sha1', 'turn-secret-one').update(c.username).digest('base64'));
  });

  it('room-tokens mints a token LiveKit verifies, with an E2EE key', async () => {
    const res = await (await deployed('room-tokens'))(event('/v1/room-tokens', { room_name: 'demo' }));
    expect(res.statusCode, res.body).toBe(201);
    const body = JSON.parse(res.body);
    expect((await new TokenVerifier(lk.apiKey, lk.apiSecret).verify(body.participant_token)).video?.room).toBe('demo');
    // The documented derivation (README, E2EE), computed here: HKDF-SHA256, epoch 1 by default.
    expect(body.e2ee_key).toBe(Buffer.from(hkdfSync('sha256', Buffer.from(E2EE_MASTER), 'token-vending/livekit-e2ee', 'v1|1|demo', 32)).toString('base64'));
  });

  it('not-found answers problem+json', async () => {
    const res = await (await deployed('not-found'))({ ...event('/v1/playback-tokens', {}), routeKey: '$default', requestContext: { http: { method: 'GET', path: '/v1/playback-tokens' } } });
    expect(res.statusCode).toBe(405);
    expect(res.headers['content-type']).toBe('application/problem+json');
  });

  it('hmac-authorizer accepts a TV2-signed request and names the key id namespace as issuer', async () => {
    const authorize = await deployed('hmac-authorizer');
    const body = JSON.stringify({ channel: 'demo' });
    const ts = String(Math.floor(Date.now() / 1000));
    const hash = createHash('sha256').update(body).digest('hex');
    const host = 'abc123.execute-api.us-east-1.amazonaws.com';
    const toSign = ['TV2-HMAC-SHA256', 'POST', host, '/v1/playback-tokens', '', ts, 'backend-1', 'user-42', hash].join('\n');
    const headers = {
      'x-tv-key-id': 'backend-1', 'x-tv-timestamp': ts, 'x-tv-subject': 'user-42', 'x-tv-content-sha256': hash,
      'x-tv-signature': createHmac('sha256', hmacKey).update(toSign).digest('hex'),
    };
    const request = (domainName: string) => ({
      version: '2.0', type: 'REQUEST', rawPath: '/v1/playback-tokens', rawQueryString: '', headers,
      requestContext: { requestId: 'r', domainName, http: { method: 'POST' } },
    });
    expect(await authorize(request(host))).toEqual({
      isAuthorized: true,
      context: { sub: 'user-42', iss: 'urn:token-vending:hmac:backend-1', 'hmac:key': 'backend-1', 'hmac:namespace': 'backend-1', contentSha256: hash },
    });
    expect((await authorize(request('other.execute-api.us-east-1.amazonaws.com'))).isAuthorized).toBe(false);
    // Signed for the CloudFront alias in auth.hosts, served by API Gateway on its own domain.
    const viaAlias = { ...request('other.execute-api.us-east-1.amazonaws.com') };
    const aliasToSign = ['TV2-HMAC-SHA256', 'POST', 'api.example.com', '/v1/playback-tokens', '', ts, 'backend-1', 'user-42', hash].join('\n');
    viaAlias.headers = { ...headers, 'x-tv-signature': createHmac('sha256', hmacKey).update(aliasToSign).digest('hex') };
    expect((await authorize(viaAlias)).isAuthorized).toBe(true);
  });

  it('hmac-authorizer reads its keys and refuses an unsigned request', async () => {
    const authorize = await deployed('hmac-authorizer');
    const res = await authorize({ version: '2.0', type: 'REQUEST', rawPath: '/v1/playback-tokens', headers: {}, requestContext: { requestId: 'r', http: { method: 'POST' } } });
    expect(res).toEqual({ isAuthorized: false, context: {} });
    expect(sm.calls.some((c) => c.body.SecretId === arn('hmac'))).toBe(true);
  });
});

describe('the deployed bundles with auth "none"', () => {
  let none: TokenVendingStack;
  beforeAll(() => {
    const app = new App({ outdir: `${OUTDIR}-none` });
    none = new TokenVendingStack(app, 'BundlesNone', {
      config: parseConfig({ ...config, auth: { type: 'none', acknowledge: 'anyone who can reach the API can mint tokens' } }),
    });
    app.synth();
  });
  afterAll(() => rmSync(`${OUTDIR}-none`, { recursive: true, force: true }));

  it('serves an anonymous caller (no authorizer context at all), as README promises', async () => {
    const handler = await deployed('playback-tokens', { stack: none, outdir: `${OUTDIR}-none` });
    const { authorizer: _none, ...requestContext } = event('/v1/playback-tokens', { channel: 'demo' }).requestContext;
    const res = await handler({ ...event('/v1/playback-tokens', { channel: 'demo' }), requestContext });
    expect(res.statusCode, res.body).toBe(200);
    await expect(jwtVerify(JSON.parse(res.body).token, keys.publicKey, { algorithms: ['ES384'] })).resolves.toBeTruthy();
  });
});

describe('what the synth compiles into a bundle', () => {
  const bundleOf = (from: TokenVendingStack, outdir: string, handler: string) =>
    join(outdir, (from.api.functions[handler]!.fn.node.findChild('Code') as Asset).assetPath);

  it('leaves the IVS client out of a playback bundle whose channels all have a playbackUrl, and loads it from the runtime if ever asked', () => {
    const text = readFileSync(join(bundleOf(stack, OUTDIR, 'playback-tokens'), 'index.mjs'), 'utf8');
    expect(text).toContain('import("@aws-sdk/client-ivs")');
    // The client's operation schemas name every IVS operation: none of them is inside.
    expect(text).not.toContain('StartViewerSessionRevocation');
    // The revocation function always calls IVS: its client is inside.
    expect(readFileSync(join(bundleOf(stack, OUTDIR, 'viewer-revocations'), 'index.mjs'), 'utf8')).toContain('StartViewerSessionRevocation');
  });

  describe('with a channel whose playback URL only IVS knows', () => {
    const outdir = `${OUTDIR}-lookups`;
    const channelArn = 'arn:aws:ivs:us-east-1:123456789012:channel/Lookup';
    let lookups: TokenVendingStack;
    let ivs: Awaited<ReturnType<typeof fakeIvs>>;
    beforeAll(async () => {
      ivs = await fakeIvs([{ arn: channelArn, playbackUrl: 'https://y.playback.live-video.net/b.m3u8', authorized: true }]);
      process.env.AWS_ENDPOINT_URL_IVS = ivs.url;
      const app = new App({ outdir });
      lookups = new TokenVendingStack(app, 'BundlesLookups', { config: parseConfig({ ...config, channels: [{ id: 'lookup', arn: channelArn }] }) });
      app.synth();
    });
    afterAll(async () => {
      await ivs?.close();
      rmSync(outdir, { recursive: true, force: true });
    });

    it('bundles the IVS client and resolves the URL with GetChannel through it', async () => {
      const text = readFileSync(join(bundleOf(lookups, outdir, 'playback-tokens'), 'index.mjs'), 'utf8');
      expect(text).not.toContain('import("@aws-sdk/client-ivs")');
      expect(text).toContain('StartViewerSessionRevocation');
      const res = await (await deployed('playback-tokens', { stack: lookups, outdir }))(event('/v1/playback-tokens', { channel: 'lookup' }));
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.parse(res.body).playbackUrl).toMatch(/^https:\/\/y\.playback\.live-video\.net\/b\.m3u8\?token=/);
      expect(ivs.getChannelCalls(channelArn)).toBe(1);
    });
  });

  it('takes the config file the synth wrote as validated, and validates a file whose bytes are not the synth\'s', async () => {
    // A copy of the playback asset whose config file was edited after the synth: one unknown
    // key, which the schema refuses. The bundle's compiled hash no longer matches, so the
    // function validates the file, refuses to serve and says why in its log.
    const copy = `${OUTDIR}-edited`;
    cpSync(bundleOf(stack, OUTDIR, 'playback-tokens'), copy, { recursive: true });
    try {
      const file = join(copy, 'token-vending-config.json');
      const synthText = readFileSync(file, 'utf8');
      expect(readFileSync(join(copy, 'index.mjs'), 'utf8')).toContain(`"${createHash('sha256').update(synthText).digest('hex')}"`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(synthText), surprise: true }));
      const fn = stack.api.functions['playback-tokens']!.fn;
      const env = (stack.resolve((fn.node.defaultChild as any).environment) as { variables: Record<string, string> }).variables;
      for (const [k, v] of Object.entries(env)) process.env[k] = typeof v === 'string' ? v : arn(`created-${k}`);
      const { handler } = await import(`${pathToFileURL(join(copy, 'index.mjs')).href}?edited`);
      let res = { statusCode: 0, body: '' };
      process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
      const logged = await printedBy(async () => (res = await handler(event('/v1/playback-tokens', { channel: 'demo' }))));
      process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('surprise');
      expect(logged).toContain('Invalid token-vending runtime config');
      expect(logged).toContain('surprise');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
