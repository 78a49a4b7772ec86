/**
 * The tests `npm run mutate:lib` runs (stryker.lib.config.mjs): the template tests of the CDK
 * constructs, which synthesize stacks in the vitest process without bundling. Left out: the
 * bundle tests (esbuild per function: tens of seconds per mutant), the e2e tests and the
 * consumer-app test (they synthesize or serve in a child process, which no mutant reaches),
 * and scale.test.ts (thousands of channels: half a minute per run).
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/infra/stack.test.ts',
      'test/infra/edge.test.ts',
      'test/infra/ops.test.ts',
      'test/infra/key-lifecycle.test.ts',
    ],
  },
});
