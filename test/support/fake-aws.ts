/**
 * Small loopback stand-ins for the AWS APIs the functions call, speaking the real wire
 * protocols so that the real AWS SDK (signing, retries, error parsing) is exercised:
 * Secrets Manager (awsJson1_1: POST / with X-Amz-Target) and IVS (restJson1: POST /GetChannel).
 * Point the SDK at them with AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_IVS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

export async function serve(route: (req: IncomingMessage, body: Record<string, unknown>) => Reply, calls: FakeService['calls']): Promise<FakeService> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
      calls.push({ target, body, authorization: req.headers.authorization });
      const reply = route(req, body);
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      if (reply.type) headers['x-amzn-errortype'] = reply.type;
      res.writeHead(reply.status, headers);
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export const error = (type: string, message: string, status = 400): Reply => ({ status, type, body: { __type: type, message } });

export interface FakeSecret {
  string?: string;
  binary?: Uint8Array;
}

/** Secrets Manager GetSecretValue. `mode` can be switched while a test runs. */
export async function fakeSecretsManager(secrets: Record<string, FakeSecret>) {
  const state = { mode: 'ok' as 'ok' | 'throttle' | 'error' };
  const calls: FakeService['calls'] = [];
  const svc = await serve((req, body) => {
    const target = String(req.headers['x-amz-target']);
    if (target !== 'secretsmanager.GetSecretValue') return error('InvalidRequestException', `unsupported ${target}`);
    if (state.mode === 'throttle') return error('ThrottlingException', 'Rate exceeded');
    if (state.mode === 'error') return error('InternalServiceError', 'boom', 500);
    const id = String(body.SecretId);
    const secret = secrets[id];
    if (!secret) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
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
  }, calls);
  return Object.assign(svc, { state, secrets, getSecretValueCalls: () => calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').length });
}

export interface FakeChannel {
  arn: string;
  playbackUrl: string;
  authorized: boolean;
}

/** IVS GetChannel (restJson1). */
export async function fakeIvs(channels: FakeChannel[]) {
  const calls: FakeService['calls'] = [];
  const svc = await serve((req, body) => {
    if (req.url !== '/GetChannel') return error('ValidationException', `unsupported ${req.url}`);
    const ch = channels.find((c) => c.arn === body.arn);
    if (!ch) return { ...error('ResourceNotFoundException', 'channel not found'), status: 404 };
    return {
      status: 200,
      body: { channel: { ...ch, name: 'test', latencyMode: 'LOW', type: 'STANDARD', ingestEndpoint: 'x.global-contribute.live-video.net' } },
    };
  }, calls);
  return Object.assign(svc, { getChannelCalls: () => calls.filter((c) => c.target === 'POST /GetChannel').length });
}
