/**
 * A real coturn `turnserver` on loopback (Debian's coturn package), and `turnutils_uclient`
 * to allocate a relay with given credentials and exchange data through it.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export const coturnInstalled = (): boolean =>
  spawnSync('sh', ['-c', 'command -v turnserver && command -v turnutils_uclient'], { stdio: 'ignore' }).status === 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });

export interface TurnServer {
  port: number;
  realm: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startTurnServer(secrets: string[]): Promise<TurnServer> {
  const port = await freePort();
  const minPort = 50_000 + Math.floor(Math.random() * 140) * 100;
  const realm = 'token-vending.test';
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${minPort}`,
      `--max-port=${minPort + 99}`,
      '--use-auth-secret',
      ...secrets.map((s) => `--static-auth-secret=${s}`),
      `--realm=${realm}`,
      '--fingerprint',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers',
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // Wait until it accepts connections; give up loudly. A helper that merely stopped waiting
  // would let a test that expects a refused allocation pass against a server that never ran.
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`turnserver did not listen on 127.0.0.1:${port} within 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    realm,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface AllocationResult {
  code: number | null;
  output: string;
  /** An allocation was made and every test packet came back through the relay. */
  ok: boolean;
}

/** `turnutils_uclient`: allocate with these credentials and send 3 messages through the relay. */
export function allocate(server: TurnServer, username: string, password: string, opts: { tcp?: boolean } = {}): Promise<AllocationResult> {
  const args = ['20', 'turnutils_uclient', '-y', '-n', '3', '-m', '1', ...(opts.tcp ? ['-t'] : []), '-p', String(server.port), '-u', username, '-w', password, '127.0.0.1'];
  return new Promise((resolve) => {
    execFile('timeout', args, { maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      const output = stdout + stderr;
      resolve({ code, output, ok: code === 0 && /Total lost packets 0 \(/.test(output) });
    });
  });
}
