/**
 * Shared checks of the fault-matrix tests: the server's structured log lines, and the proof
 * that no promise rejection went unhandled in the server process.
 */
import { expect } from 'vitest';
import type { LocalServer } from './local-server';

/**
 * Start the local server with this in its environment: an unhandled rejection then prints
 * "UnhandledPromiseRejectionWarning" and the process goes on, so one test sees every fault
 * and then fails on the warning (Node's default would kill the server mid-test).
 */
export const WARN_ON_UNHANDLED_REJECTION = { NODE_OPTIONS: '--unhandled-rejections=warn' };

export interface LogLine {
  level?: string;
  message?: string;
  error?: { name: string; message: string; cause?: { name: string; message: string } };
  [key: string]: unknown;
}

/** The Powertools JSON lines the server printed. */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

/** Every name in an error summary's cause chain. */
export const errorNames = (line: LogLine): string[] => {
  const names: string[] = [];
  for (let e: LogLine['error'] | undefined = line.error; e; e = (e as { cause?: LogLine['error'] }).cause) names.push(e.name);
  return names;
};

export async function expectHealthyProcess(server: LocalServer): Promise<void> {
  expect(server.output()).not.toMatch(/unhandledRejection|UnhandledPromiseRejection|uncaughtException/i);
  // Still up and answering.
  expect((await fetch(server.url + '/nope', { method: 'POST' })).status).toBe(404);
}

export async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Send `n` requests at once; each result with its own latency. */
export async function burst(n: number, send: () => Promise<Response>): Promise<{ res: Response; ms: number; body: Record<string, unknown> }[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const t0 = performance.now();
      const res = await send();
      const body = (await res.json()) as Record<string, unknown>;
      return { res, ms: performance.now() - t0, body };
    }),
  );
}

/**
 * Everything this process writes to stdout and stderr while `run` runs (Powertools writes its
 * log and EMF lines there, as on Lambda), e.g. to read what an in-process test logged.
 */
export async function printedBy(run: () => Promise<unknown>): Promise<string> {
  const { vi } = await import('vitest');
  let raw = '';
  const grab = (chunk: unknown) => ((raw += String(chunk)), true);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return raw;
}

/** The JSON lines of some output (log lines and EMF lines). */
export const jsonLines = (output: string): Record<string, any>[] =>
  output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
