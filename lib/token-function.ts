/** NodejsFunction with the house defaults: nodejs24.x on arm64, local esbuild, ESM, own log group and role. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export interface TokenFunctionProps {
  /** File under lambda/handlers/, without `.ts`. */
  readonly handler: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly logRetention?: RetentionDays;
  /** Default 10 s (request path); key-lifecycle functions that call IVS in several regions need longer. */
  readonly timeout?: Duration;
}

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
      entry: fileURLToPath(new URL(`../lambda/handlers/${props.handler}.ts`, import.meta.url)),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'token-vending',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // jsonwebtoken and friends are CommonJS: give the ESM bundle a `require`.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        minify: true,
        sourceMap: false,
        forceDockerBundling: false,
      },
    });
  }
}
