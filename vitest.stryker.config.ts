/**
 * The tests Stryker runs (`npm run mutate`, stryker.config.mjs): only those that execute the
 * code under test in the vitest process, where Stryker's instrumentation can switch mutants
 * on. The e2e tests run `bin/serve.ts` in a child process and the bundle tests run esbuild's
 * output: neither can see a mutant, so they would only add minutes and report every mutant
 * they reach as "survived". The fuzz tests are random and slow; scale.test.ts bundles
 * thousands of channels (half a minute per run). `npm test` still runs everything.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

export default defineConfig({
  test: {
    ...base.test,
    // Instrumented code is several times slower: hang guards (test/unit/room.test.ts) get more room.
    env: { ...base.test?.env, TEST_HANG_GUARD_MS: '30000' },
    include: [
      'test/unit/**/*.test.ts',
      'test/infra/stack.test.ts',
      'test/infra/edge.test.ts',
      'test/infra/ops.test.ts',
      'test/infra/key-lifecycle.test.ts',
    ],
  },
});
