/**
 * The local server (`npm start`, bin/serve.ts: the same handlers behind node:http) under a
 * closed-loop load of `connections` keep-alive connections, from this process: requests per
 * second and latency percentiles. The server runs in its own process (one core), as it would.
 */
import { Agent, request } from 'node:http';
import { percentile } from './harness';

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function httpLoad(url: string, opts: { path: string; body: string; headers?: Record<string, string>; connections: number; durationMs: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const target = new URL(opts.path, url);
  const latencies: number[] = [];
  let errors = 0;
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)), ...opts.headers };
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(target, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) errors++;
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(opts.body);
    });
  const started = performance.now();
  const until = started + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  const elapsed = performance.now() - started;
  agent.destroy();
  return { requests: latencies.length, rps: (latencies.length / elapsed) * 1000, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}
