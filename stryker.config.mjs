// Mutation testing: `npm run mutate` (README "Contributing"). Not part of `npm test`.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Only the tests that run the code in-process (see vitest.stryker.config.ts for why).
  vitest: { configFile: 'vitest.stryker.config.ts' },
  checkers: ['typescript'],
  // lambda/ only (tsconfig.stryker.json): the full tsconfig also checks lib/ and test/ against
  // aws-cdk-lib's types (4,400 files against 1,000), which made the checker the bottleneck of
  // a run (a full run took 59 minutes on 2 cores). A mutant that breaks only a test's types is
  // simply run: vitest does not type-check.
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // `npm run mutate`: the code that signs tokens and decides who gets one (minting, request
  // handling and identity, secrets). `npm run mutate:all` adds the rest of lambda/ and the CDK
  // constructs in lib/, whose mutants are mostly tested by synthesizing whole stacks (seconds
  // per mutant): too slow for a habit, fine for a nightly or before a release.
  mutate: ['lambda/tokens/**/*.ts', 'lambda/http/**/*.ts', 'lambda/secrets/**/*.ts'],
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
