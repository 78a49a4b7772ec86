/**
 * A loopback Amazon IVS for playback key pairs and viewer revocation, speaking restJson1 as
 * the real @aws-sdk/client-ivs sends it (paths and fields from the SDK's model):
 *   POST /ImportPlaybackKeyPair {publicKeyMaterial, name?, tags?} -> {keyPair}
 *   POST /ListPlaybackKeyPairs {maxResults?, nextToken?} -> {keyPairs: [{arn, name, tags}], nextToken?}
 *   POST /GetPlaybackKeyPair {arn} -> {keyPair: {arn, name, fingerprint, tags}}
 *   POST /DeletePlaybackKeyPair {arn} -> {}
 *   GET  /tags/{resourceArn} -> {tags};  POST /tags/{resourceArn} {tags} -> {}
 *   POST /StartViewerSessionRevocation {channelArn, viewerId, viewerSessionVersionsLessThanOrEqualTo?} -> {}
 * Key pairs are regional (the region is read from the SigV4 credential scope, as AWS routes
 * by endpoint). As IVS: at most 3 key pairs per region (ServiceQuotaExceededException, 402),
 * the same public key twice in a region is refused (ConflictException, 409: the SDK model lists
 * it for ImportPlaybackKeyPair; that a duplicate key is what triggers it is our reading, not
 * documented), an unknown ARN is ResourceNotFoundException (404), a malformed key or viewer id
 * is ValidationException (400). Status codes are the model's httpError traits.
 * Pages hold at most 2 key pairs, so callers must follow nextToken.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { error, serve, type FakeService, type Reply } from './fake-aws';

export interface FakeKeyPair {
  arn: string;
  name: string;
  fingerprint: string;
  publicKeyDer: string;
  tags: Record<string, string>;
}

const ACCOUNT = '123456789012';
const PAGE = 2;

const regionOf = (req: IncomingMessage) => /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/ivs\//.exec(String(req.headers.authorization))?.[1] ?? 'unknown';

/** Canonical form of a public key (DER of its SPKI) to compare keys regardless of PEM layout. */
export const spkiDer = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');

export async function fakeIvsKeys() {
  const regions = new Map<string, FakeKeyPair[]>();
  const revocations: { region: string; channelArn: string; viewerId: string; viewerSessionVersionsLessThanOrEqualTo?: number }[] = [];
  const faults: { path: string; reply: Reply }[] = [];
  const calls: FakeService['calls'] = [];
  const inRegion = (r: string) => regions.get(r) ?? (regions.set(r, []), regions.get(r)!);
  const byArn = (arn: unknown) => [...regions.values()].flat().find((k) => k.arn === arn);
  const notFound = (what: string) => error('ResourceNotFoundException', `${what} not found`, 404);

  const svc = await serve((req, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const fault = faults.findIndex((f) => path.startsWith(f.path));
    if (fault >= 0) return faults.splice(fault, 1)[0]!.reply;
    const region = regionOf(req);
    const keys = inRegion(region);
    const ok = (b: unknown = {}): Reply => ({ status: 200, body: b });
    const summary = (k: FakeKeyPair) => ({ arn: k.arn, name: k.name, tags: { ...k.tags } });

    if (req.method === 'POST' && path === '/ImportPlaybackKeyPair') {
      let der: string;
      try {
        const key = createPublicKey(String(body.publicKeyMaterial));
        if (key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') throw new Error('curve');
        der = key.export({ type: 'spki', format: 'der' }).toString('base64');
      } catch {
        return error('ValidationException', 'publicKeyMaterial is not a valid ECDSA P-384 public key');
      }
      if (body.name !== undefined && !/^[a-zA-Z0-9-_]{0,128}$/.test(String(body.name))) return error('ValidationException', 'name');
      if (keys.some((k) => k.publicKeyDer === der)) return error('ConflictException', 'A key pair with this public key already exists', 409);
      if (keys.length >= 3) return error('ServiceQuotaExceededException', 'Request would cause a service quota to be exceeded.', 402);
      const k: FakeKeyPair = {
        arn: `arn:aws:ivs:${region}:${ACCOUNT}:playback-key/${randomBytes(6).toString('hex')}`,
        name: String(body.name ?? ''),
        fingerprint: createHash('sha256').update(Buffer.from(der, 'base64')).digest('hex').replace(/(..)(?!$)/g, '$1:'),
        publicKeyDer: der,
        tags: { ...((body.tags as Record<string, string>) ?? {}) },
      };
      keys.push(k);
      return ok({ keyPair: { arn: k.arn, name: k.name, fingerprint: k.fingerprint, tags: { ...k.tags } } });
    }
    if (req.method === 'POST' && path === '/ListPlaybackKeyPairs') {
      const start = Number(body.nextToken ?? 0);
      const size = Math.min(PAGE, Number(body.maxResults ?? PAGE));
      const page = keys.slice(start, start + size);
      return ok({ keyPairs: page.map(summary), ...(start + size < keys.length ? { nextToken: String(start + size) } : {}) });
    }
    if (req.method === 'POST' && path === '/GetPlaybackKeyPair') {
      const k = keys.find((x) => x.arn === body.arn);
      return k ? ok({ keyPair: { arn: k.arn, name: k.name, fingerprint: k.fingerprint, tags: { ...k.tags } } }) : notFound('key pair');
    }
    if (req.method === 'POST' && path === '/DeletePlaybackKeyPair') {
      const i = keys.findIndex((x) => x.arn === body.arn);
      if (i < 0) return notFound('key pair');
      keys.splice(i, 1);
      return ok();
    }
    if (path.startsWith('/tags/')) {
      const k = byArn(path.slice('/tags/'.length));
      if (!k) return notFound('resource');
      if (req.method === 'GET') return ok({ tags: { ...k.tags } });
      if (req.method === 'POST') {
        Object.assign(k.tags, body.tags as Record<string, string>);
        return ok();
      }
    }
    if (req.method === 'POST' && path === '/StartViewerSessionRevocation') {
      const viewerId = String(body.viewerId ?? '');
      if (!/^arn:aws:ivs:[a-z0-9-]+:\d{12}:channel\/[A-Za-z0-9]+$/.test(String(body.channelArn))) return error('ValidationException', 'channelArn');
      if (viewerId.length < 1 || viewerId.length > 40) return error('ValidationException', 'viewerId must be 1-40 characters');
      revocations.push({ region, channelArn: String(body.channelArn), viewerId, ...(body.viewerSessionVersionsLessThanOrEqualTo !== undefined ? { viewerSessionVersionsLessThanOrEqualTo: Number(body.viewerSessionVersionsLessThanOrEqualTo) } : {}) });
      return ok();
    }
    return error('ValidationException', `unsupported ${req.method} ${path}`);
  }, calls);

  return Object.assign(svc, {
    regions,
    revocations,
    keyPairs: (region: string) => inRegion(region),
    /** Import a key pair by hand (someone else's), as the console would. */
    addForeign(region: string, publicKeyPem: string) {
      inRegion(region).push({ arn: `arn:aws:ivs:${region}:${ACCOUNT}:playback-key/foreign${randomBytes(3).toString('hex')}`, name: 'manual', fingerprint: 'x', publicKeyDer: spkiDer(publicKeyPem), tags: {} });
    },
    failNext(path: string, type = 'InternalServerException', status = 500) {
      faults.push({ path, reply: error(type, 'injected failure', status) });
    },
  });
}
export type FakeIvsKeys = Awaited<ReturnType<typeof fakeIvsKeys>>;
