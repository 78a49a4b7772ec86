/**
 * A small benchmark harness. Cases are measured interleaved: after a warm-up of every case,
 * each round runs every case once for `minMs`, so a busier moment of the machine lands on all
 * of them alike; the figure is each case's median round (mean time per operation). Targets are
 * ratios against a baseline measured in the same run; absolute numbers are shown, never asserted.
 */
export interface BenchResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
}

export interface BenchCase {
  name: string;
  fn: () => unknown;
}

export async function measureInterleaved<const C extends readonly BenchCase[]>(cases: C, opts: { rounds?: number; minMs?: number } = {}): Promise<{ [K in keyof C]: BenchResult }> {
  const rounds = opts.rounds ?? 7;
  const minNs = BigInt(opts.minMs ?? 200) * 1_000_000n;
  for (const c of cases) for (let i = 0; i < 200; i++) await c.fn(); // warm-up: JIT, caches
  const perRound: number[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      let n = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0n;
      do {
        for (let k = 0; k < 50; k++) await c.fn();
        n += 50;
        elapsed = process.hrtime.bigint() - start;
      } while (elapsed < minNs);
      perRound[i]!.push(Number(elapsed) / n);
    }
  }
  return cases.map((c, i) => {
    const nsPerOp = median(perRound[i]!);
    return { name: c.name, nsPerOp, opsPerSec: 1e9 / nsPerOp };
  }) as { [K in keyof C]: BenchResult };
}

/** One case on its own (a worker's single case). */
export async function measure(name: string, fn: () => unknown, opts: { rounds?: number; minMs?: number } = {}): Promise<BenchResult> {
  return (await measureInterleaved([{ name, fn }], opts))[0]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** A row of `npm run bench -- --json`: `{"rows": [Row...]}`. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  /** What `ratio` compares with, measured in the same run; null for a figure that is only reported. */
  baseline: { name: string; value: number; unit: string } | null;
  /** value / baseline.value, or null. */
  ratio: number | null;
  /** ">= 0.90x", "<= 1.10x", "== 1", or "reported". */
  target: string;
  pass: boolean;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits + 2));

/** A throughput row: the subject must reach at least `min` times the baseline's ops/s. */
export function throughputRow(subject: BenchResult, baseline: BenchResult, min: number, name = subject.name): Row {
  const ratio = subject.opsPerSec / baseline.opsPerSec;
  return {
    name,
    value: Math.round(subject.opsPerSec),
    unit: 'ops/s',
    baseline: { name: baseline.name, value: Math.round(baseline.opsPerSec), unit: 'ops/s' },
    ratio: round(ratio),
    target: `>= ${min.toFixed(2)}x`,
    pass: ratio >= min,
  };
}

/** A cost row (time, size): the subject may cost at most `max` times the baseline. */
export function costRow(name: string, value: number, unit: string, baseline: { name: string; value: number }, max: number, pairedRatio?: number): Row {
  // A paired ratio (median of per-round ratios) when the caller has one; else value / baseline.
  const ratio = pairedRatio ?? value / baseline.value;
  return {
    name,
    value: round(value),
    unit,
    baseline: { name: baseline.name, value: round(baseline.value), unit },
    ratio: round(ratio),
    target: `<= ${max.toFixed(2)}x`,
    pass: ratio <= max,
  };
}

export function reportedRow(name: string, value: number, unit: string): Row {
  return { name, value: round(value), unit, baseline: null, ratio: null, target: 'reported', pass: true };
}

/** The human form: one table, every row with its verdict. */
export function printTable(rows: Row[]): void {
  console.log('\n| row | value | baseline (same run) | ratio | target | |\n|---|---:|---|---:|---|---|');
  for (const r of rows) {
    const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.baseline.unit}` : '—';
    console.log(`| ${r.name} | ${fmt(r.value)} ${r.unit} | ${base} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${r.target} | ${r.pass ? 'pass' : 'FAIL'} |`);
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(round(v, 2)));
