// Mutation testing: `npm run mutate` (README "Contributing"). Not part of `npm test`.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Only the tests that run the code in-process (see vitest.stryker.config.ts for why).
  vitest: { configFile: 'vitest.stryker.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'lambda/**/*.ts',
    'lib/**/*.ts',
    // The local server's plumbing (node:http <-> API Gateway events) runs only in the e2e
    // tests' child process, which no mutant reaches.
    '!lambda/local/server.ts',
  ],
  ignoreStatic: true,
  coverageAnalysis: 'perTest',
  // Half of the processes are TypeScript checkers, which finish early; then the test runners work alone.
  concurrency: 4,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Quick reruns: only mutants in changed code, or covered by changed tests, run again.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: 'reports/.stryker-tmp',
  cleanTempDir: true,
  thresholds: { high: 90, low: 85, break: 80 },
};
