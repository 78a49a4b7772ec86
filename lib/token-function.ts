/**
 * NodejsFunction with the house defaults: nodejs24.x on arm64, local esbuild, ESM, own log
 * group and role, and the validated config as a file inside the asset (the carrier of
 * DESIGN.md §6; see lambda/config/runtime.ts for why a file).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SERVICE_NAME } from '../lambda/config/observability';
import { CONFIG_ASSET_FILE, CONFIG_SHA256_DEFINE } from '../lambda/config/runtime';

export interface TokenFunctionProps {
  /** File under lambda/handlers/, without `.ts`. */
  readonly handler: string;
  /**
   * Another entry file (absolute path) instead of lambda/handlers/<handler>.ts: the bench's
   * baseline functions, so that they are bundled exactly as ours are (test/bench/cold-start.ts).
   */
  readonly entry?: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly logRetention?: RetentionDays;
  /**
   * The config, written once per synth by the API construct: copied into the asset beside
   * `index.mjs` after bundling. Its hash goes into the bundling options so that CDK's asset
   * cache (keyed on those options) never reuses a bundle made with another config.
   */
  readonly config?: { path: string; sha256: string };
  /**
   * Bundle the AWS SDK clients the function uses (minified, tree-shaken) instead of loading the
   * runtime's copy from node_modules at the first request: on the request path that is the
   * larger part of a cold start (README "Cold starts": measured by `npm run bench`). Default
   * false: functions off the viewer's path keep the smaller asset and the runtime's SDK.
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * AWS SDK packages the function imports only on a path its config never takes (the IVS client
   * of a playback function whose channels all have a playbackUrl): left out of the bundle, where
   * even unevaluated they cost the cold start their parse (~5 ms for the IVS client, README
   * "Cold starts"), and loaded from the runtime's own SDK v3 if that path is ever taken (the
   * Node.js 18+ Lambda runtimes include it: Lambda developer guide, "Building Lambda functions
   * with Node.js").
   */
  readonly sdkFromRuntime?: string[];
  /** Default 10 s (request path); key-lifecycle functions that call IVS in several regions need longer. */
  readonly timeout?: Duration;
}

/**
 * This package's root: bundling runs from here whatever the app's working directory (the
 * construct used from another CDK app, `token-vending/cdk`), with its lock file when it has one.
 */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export class TokenFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TokenFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs to this function's group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (least privilege)`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? fileURLToPath(new URL(`../lambda/handlers/${props.handler}.ts`, import.meta.url)),
      projectRoot: PACKAGE_ROOT,
      ...(existsSync(LOCK_FILE) ? { depsLockFilePath: LOCK_FILE } : {}),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // A CommonJS dependency inside an ESM bundle needs a `require` (none of the API functions has one today).
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        minify: true,
        sourceMap: false,
        bundleAwsSDK: props.bundleAwsSdk ?? false,
        ...(props.sdkFromRuntime?.length ? { externalModules: props.sdkFromRuntime } : {}),
        forceDockerBundling: false,
        ...(props.config ? configInAsset(props.config) : {}),
      },
    });
  }
}

/**
 * Copy the config file into the bundle's output directory. Local bundling only (the house
 * rule: esbuild is a dev dependency, bundling never needs Docker); under Docker the host path
 * would not exist and `cp` fails the synth loudly rather than deploying without a config.
 */
function configInAsset(config: { path: string; sha256: string }) {
  const copy = (dest: string) =>
    platform() === 'win32' ? `copy /y "${config.path}" "${dest}"` : `cp '${config.path.replace(/'/g, "'\\''")}' '${dest.replace(/'/g, "'\\''")}'`;
  return {
    // The file's hash, compiled into the bundle: the function takes that file as validated
    // (lambda/config/runtime.ts) and validates any other. Being a bundling option, it also
    // keys CDK's asset cache, so a bundle is never reused with another config.
    define: { [CONFIG_SHA256_DEFINE]: JSON.stringify(config.sha256) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [copy(`${outputDir}/${CONFIG_ASSET_FILE}`)],
    },
  };
}
