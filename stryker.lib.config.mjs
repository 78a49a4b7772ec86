// Mutation testing of the CDK constructs in lib/: `npm run mutate:lib` (README "Contributing").
// Not part of `npm test`, and a separate run from `npm run mutate` (stryker.config.mjs) because
// its tests and its settings differ:
// - the tests are the template tests (vitest.stryker-lib.config.ts), which synthesize whole
//   stacks in process, without esbuild;
// - most of lib/ runs while a test file synthesizes its stack at module scope, so those mutants
//   are "static": Stryker must reload the test files for each of them (ignoreStatic: false).
// @ts-check
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.stryker-lib.config.ts' },
  // lib/ and what it imports from lambda/ (config schema), against aws-cdk-lib's types: ~5 s per full check.
  tsconfigFile: 'tsconfig.stryker-lib.json',
  // The app entry point reads cdk.json and process.env; bin/ and the e2e tests exercise it.
  mutate: ['lib/**/*.ts'],
  ignoreStatic: false,
  concurrency: 2,
  timeoutMS: 20_000,
  htmlReporter: { fileName: 'reports/mutation-lib/index.html' },
  jsonReporter: { fileName: 'reports/mutation-lib/mutation.json' },
  incrementalFile: 'reports/mutation-lib/stryker-incremental.json',
  tempDirName: 'reports/.stryker-tmp-lib',
};
