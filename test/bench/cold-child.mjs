// One cold start, in a new process: import a bundle, answer one event (argv[2]: the bundle,
// BENCH_EVENT: the event, BENCH_INVOKE: how many invocations), report timings on fd 3 and
// exit (cpuMs: this process's CPU time, boot included, at the first response). Plain JavaScript, no loader: nothing but the bundle is loaded, as on Lambda.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const t0 = performance.now();
const { handler } = await import(pathToFileURL(process.argv[2]).href);
const t1 = performance.now();
const cpuImport = process.cpuUsage();
const event = JSON.parse(process.env.BENCH_EVENT);
const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'cold', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '512', getRemainingTimeInMillis: () => 10_000 };
const first = await handler(event, context);
const t2 = performance.now();
const cpuFirst = process.cpuUsage();
const n = Number(process.env.BENCH_INVOKE ?? 1);
let failed = 0;
for (let i = 1; i < n; i++) {
  const r = await handler(event, context);
  if (r.statusCode >= 300) failed++;
}
const t3 = performance.now();
writeSync(3, JSON.stringify({ status: first.statusCode, importMs: t1 - t0, firstMs: t2 - t1, bootMs: t0, restMs: t3 - t2, failed, cpuImportMs: (cpuImport.user + cpuImport.system) / 1000, cpuMs: (cpuFirst.user + cpuFirst.system) / 1000 }));
process.exit(0);
