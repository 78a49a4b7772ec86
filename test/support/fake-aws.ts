/**
 * Small loopback stand-ins for the AWS APIs the functions call, speaking the real wire
 * protocols so that the real AWS SDK (signing, retries, error parsing) is exercised:
 * Secrets Manager (awsJson1_1: POST / with X-Amz-Target) and IVS (restJson1: POST /GetChannel).
 * Point the SDK at them with AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_IVS.
 *
 * Faults, for the reliability tests: every fake has a `state.mode` for all requests, and
 * `fault(target, mode)` for one secret id or channel ARN only (so that tests sharing a fake
 * can run at the same time). The service's own errors (throttling, 5xx, access denied, not
 * found) are answered the way that service's protocol answers them; the transport faults are
 * the same for every service:
 * - `hang`: accept the connection, read the request, never answer;
 * - `slow`: answer correctly after `state.delayMs`;
 * - `trickle`: send the headers at once, then the body one byte at a time over `state.delayMs`;
 * - `reset`: send the headers and half the body, then reset the connection;
 * - `garbage`: 200 with a body that is not the protocol's JSON.
 * `deleted` is a secret scheduled for deletion (Secrets Manager answers InvalidRequestException).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAKE_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test-only',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export interface FakeService {
  url: string;
  calls: { target: string; body: Record<string, unknown>; authorization: string | undefined }[];
  close(): Promise<void>;
}

export type Reply = { status: number; body: unknown; type?: string };

export const SERVICE_FAULTS = ['throttle', 'error', 'denied', 'notFound', 'deleted'] as const;
export const TRANSPORT_FAULTS = ['hang', 'slow', 'trickle', 'reset', 'garbage'] as const;
export type ServiceFault = (typeof SERVICE_FAULTS)[number];
export type TransportFault = (typeof TRANSPORT_FAULTS)[number];
export type Mode = 'ok' | ServiceFault | TransportFault;

export interface FaultState {
  mode: Mode;
  /** For `slow` and `trickle`. */
  delayMs: number;
}

/** What a fake does with one request: a normal reply, or a transport fault. */
type Outcome = Reply | { transport: TransportFault; delayMs: number; reply: Reply };

export async function serve(
  route: (req: IncomingMessage, body: Record<string, unknown>) => Outcome,
  calls: FakeService['calls'],
): Promise<FakeService> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
      calls.push({ target, body, authorization: req.headers.authorization });
      const outcome = route(req, body);
      const reply = 'transport' in outcome ? outcome.reply : outcome;
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      if (reply.type) headers['x-amzn-errortype'] = reply.type;
      const payload = Buffer.from(JSON.stringify(reply.body));
      if (!('transport' in outcome)) {
        res.writeHead(reply.status, headers);
        res.end(payload);
        return;
      }
      switch (outcome.transport) {
        case 'hang':
          return; // the socket stays open until the client gives up (or close())
        case 'slow':
          later(outcome.delayMs, () => {
            res.writeHead(reply.status, headers);
            res.end(payload);
          });
          return;
        case 'trickle': {
          res.writeHead(reply.status, { ...headers, 'content-length': String(payload.length) });
          res.flushHeaders();
          const step = Math.max(1, Math.floor(outcome.delayMs / payload.length));
          let i = 0;
          const next = () => {
            if (res.destroyed) return;
            if (i >= payload.length) return void res.end();
            res.write(payload.subarray(i, ++i));
            later(step, next);
          };
          next();
          return;
        }
        case 'reset':
          res.writeHead(reply.status, { ...headers, 'content-length': String(payload.length) });
          res.write(payload.subarray(0, Math.floor(payload.length / 2)));
          later(20, () => res.socket?.resetAndDestroy());
          return;
        case 'garbage':
          res.writeHead(200, headers);
          res.end('<html><body>502 Bad Gateway</body></html>');
          return;
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((r) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

export const error = (type: string, message: string, status = 400): Reply => ({ status, type, body: { __type: type, message } });

/** The fault in force for one target (a secret id, a channel ARN): its own, else the fake's. */
function faultControl() {
  const state: FaultState = { mode: 'ok', delayMs: 10_000 };
  const faults = new Map<string, { mode: Mode; delayMs?: number }>();
  return {
    state,
    /** Set (or with 'ok', clear) the fault of one secret id or channel ARN; `delayMs` for slow/trickle. */
    fault(target: string, mode: Mode, delayMs?: number) {
      if (mode === 'ok') faults.delete(target);
      else faults.set(target, { mode, delayMs });
    },
    apply(target: string, answer: () => Reply, serviceError: (f: ServiceFault) => Reply): Outcome {
      const own = faults.get(target);
      const mode = own?.mode ?? state.mode;
      if (mode === 'ok') return answer();
      if ((SERVICE_FAULTS as readonly string[]).includes(mode)) return serviceError(mode as ServiceFault);
      return { transport: mode as TransportFault, delayMs: own?.delayMs ?? state.delayMs, reply: answer() };
    },
  };
}

export interface FakeSecret {
  string?: string;
  binary?: Uint8Array;
}

/** Secrets Manager GetSecretValue. `state.mode`, `fault()` and `secrets` can change while a test runs. */
export async function fakeSecretsManager(secrets: Record<string, FakeSecret>) {
  const control = faultControl();
  const calls: FakeService['calls'] = [];
  const notFound = () => error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  const svc = await serve((req, body) => {
    const target = String(req.headers['x-amz-target']);
    if (target !== 'secretsmanager.GetSecretValue') return error('InvalidRequestException', `unsupported ${target}`);
    const id = String(body.SecretId);
    const answer = (): Reply => {
      const secret = secrets[id];
      if (!secret) return notFound();
      return {
        status: 200,
        body: {
          ARN: id,
          Name: id.split(':').pop(),
          VersionId: '00000000-0000-4000-8000-000000000001',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_700_000_000,
          ...(secret.string !== undefined ? { SecretString: secret.string } : {}),
          ...(secret.binary !== undefined ? { SecretBinary: Buffer.from(secret.binary).toString('base64') } : {}),
        },
      };
    };
    // Secrets Manager (awsJson1_1) answers its errors with 400, except InternalServiceError.
    return control.apply(id, answer, (f) => {
      if (f === 'throttle') return error('ThrottlingException', 'Rate exceeded');
      if (f === 'error') return error('InternalServiceError', 'boom', 500);
      if (f === 'denied') return error('AccessDeniedException', `User is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id}`);
      if (f === 'deleted') return error('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
      return notFound();
    });
  }, calls);
  return Object.assign(svc, {
    state: control.state,
    fault: control.fault,
    secrets,
    getSecretValueCalls: (id?: string) => calls.filter((c) => c.target === 'secretsmanager.GetSecretValue' && (id === undefined || c.body.SecretId === id)).length,
  });
}

export interface FakeChannel {
  arn: string;
  playbackUrl: string;
  authorized: boolean;
}

/** IVS GetChannel (restJson1). `state.mode` and `fault(arn, mode)` can change while a test runs. */
export async function fakeIvs(channels: FakeChannel[]) {
  const control = faultControl();
  const calls: FakeService['calls'] = [];
  const svc = await serve((req, body) => {
    if (req.url !== '/GetChannel') return error('ValidationException', `unsupported ${req.url}`);
    const arn = String(body.arn);
    const answer = (): Reply => {
      const ch = channels.find((c) => c.arn === arn);
      if (!ch) return error('ResourceNotFoundException', 'channel not found', 404);
      return {
        status: 200,
        body: { channel: { ...ch, name: 'test', latencyMode: 'LOW', type: 'STANDARD', ingestEndpoint: 'x.global-contribute.live-video.net' } },
      };
    };
    // IVS (restJson1) errors carry their HTTP status (IVS API reference, GetChannel "Errors").
    return control.apply(arn, answer, (f) => {
      if (f === 'throttle') return error('ThrottlingException', 'Request was denied due to request throttling.', 429);
      if (f === 'error') return error('InternalServerException', 'Unexpected error during processing of request.', 500);
      if (f === 'denied') return error('AccessDeniedException', 'User is not authorized to perform: ivs:GetChannel', 403);
      // 'deleted' and 'notFound' are the same to IVS: a deleted channel is not found.
      return error('ResourceNotFoundException', 'channel not found', 404);
    });
  }, calls);
  return Object.assign(svc, {
    state: control.state,
    fault: control.fault,
    channels,
    getChannelCalls: (arn?: string) => calls.filter((c) => c.target === 'POST /GetChannel' && (arn === undefined || c.body.arn === arn)).length,
  });
}
