/**
 * Preloaded into the soak's server process (`node --import tsx --expose-gc --import
 * ./test/bench/soak-probe.ts bin/serve.ts`): answers "mem" on the IPC channel with its
 * memory after a full GC, so the soak measures the server, not the load generator.
 * bin/serve.ts runs unchanged.
 */
process.on('message', (m) => {
  if (m !== 'mem') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ type: 'mem', ...process.memoryUsage() });
});
