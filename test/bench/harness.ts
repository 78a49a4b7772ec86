/**
 * A small benchmark harness: each case runs in rounds after a warm-up; the figure is the
 * median round's mean time per operation. Targets are ratios against a baseline measured in
 * the same run, so a slower or busier machine moves both sides alike.
 */
export interface BenchResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
}

export async function measure(name: string, fn: () => unknown, opts: { rounds?: number; minMs?: number } = {}): Promise<BenchResult> {
  const rounds = opts.rounds ?? 7;
  const minMs = opts.minMs ?? 250;
  for (let i = 0; i < 200; i++) await fn(); // warm-up: JIT, caches
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    do {
      for (let i = 0; i < 50; i++) await fn();
      n += 50;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < BigInt(minMs) * 1_000_000n);
    perRound.push(Number(elapsed) / n);
  }
  perRound.sort((a, b) => a - b);
  const nsPerOp = perRound[Math.floor(rounds / 2)]!;
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp };
}

export interface Target {
  subject: BenchResult;
  baseline: BenchResult;
  maxRatio: number;
}

/** Prints a table and returns false when any target is missed. */
export function report(results: BenchResult[], targets: Target[]): boolean {
  console.log('\n| case | µs/op | ops/s |\n|---|---:|---:|');
  for (const r of results) console.log(`| ${r.name} | ${(r.nsPerOp / 1000).toFixed(1)} | ${Math.round(r.opsPerSec)} |`);
  console.log('\n| target | ratio | max | |\n|---|---:|---:|---|');
  let ok = true;
  for (const t of targets) {
    const ratio = t.subject.nsPerOp / t.baseline.nsPerOp;
    const pass = ratio <= t.maxRatio;
    ok &&= pass;
    console.log(`| ${t.subject.name} / ${t.baseline.name} | ${ratio.toFixed(2)} | ${t.maxRatio} | ${pass ? 'ok' : 'MISSED'} |`);
  }
  return ok;
}
