/**
 * Operations for the team that runs the API (README "Operations"): a CloudWatch dashboard, the
 * alarms that should wake someone up, and where they are sent. Reads the API construct; adds
 * nothing to the request path.
 *
 * Metric sources:
 * - API Gateway, HTTP API: namespace `AWS/ApiGateway`, metrics `Count`, `4xx`, `5xx`, `Latency`,
 *   `IntegrationLatency`, dimensions `ApiId` + `Stage` (here `$default`). From "Monitor
 *   CloudWatch metrics for HTTP APIs in API Gateway",
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
 *   (REST APIs use other names, `4XXError`/`5XXError` and `ApiName`: not these).
 * - HTTP APIs publish no throttling metric: a throttled request is answered 429 by API Gateway
 *   without reaching a function, so `Throttled` is counted from the stage's access-log lines
 *   (`"status":"429"`) by a metric filter.
 * - AWS/Lambda per function (`FunctionName`): Errors, Throttles, Duration.
 * - Our EMF metrics (lambda/metrics.ts; names in lambda/config/observability.ts) in the
 *   config's namespace, dimension `service` = token-vending.
 */
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SearchExpression,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC, SERVICE_NAME, TOKEN_KINDS, type TokenKind } from '../lambda/config/observability';
import type { TokenVendingConfig } from '../lambda/config/schema';
import type { TokenFunction } from './token-function';
import type { TokenVendingApi } from './token-vending-api';

export interface TokenVendingOpsProps {
  readonly api: TokenVendingApi;
  readonly config: TokenVendingConfig;
  /** Functions outside the API to watch as well (the managed key's rotation and custom resource). */
  readonly extraFunctions?: Record<string, TokenFunction>;
}

/** What each alarm watches; the README runbook has one entry per id. */
export type AlarmId = 'ServerErrorRate' | 'Throttled' | 'SecretFailures' | 'IvsLookupFailures' | `LambdaErrors-${string}`;

export class TokenVendingOps extends Construct {
  readonly dashboard?: Dashboard;
  readonly alarms: Record<string, Alarm> = {};
  readonly topic?: ITopic;

  constructor(scope: Construct, id: string, props: TokenVendingOpsProps) {
    super(scope, id);
    const { api, config } = props;
    const { observability, alarms: limits } = config;
    const period = Duration.minutes(limits.periodMinutes);
    const stackName = Stack.of(this).stackName;
    const emf = observability.metrics.enabled;
    const namespace = observability.metrics.namespace;
    const functions = Object.entries({ ...api.functions, ...props.extraFunctions });

    const ours = (metricName: string, dimensionsMap: Record<string, string> = {}, label?: string) =>
      new Metric({ namespace, metricName, dimensionsMap: { service: SERVICE_NAME, ...dimensionsMap }, statistic: 'Sum', period, label });
    const gateway = (metricName: '4xx' | '5xx' | 'Count' | 'Latency' | 'IntegrationLatency', statistic: string, label: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: api.httpApi.apiId, Stage: api.stage.stageName },
        statistic,
        period,
        label,
      });

    if (!limits.enabled && !observability.dashboard) return;

    // Throttled requests never reach a function: count the 429s in the access logs.
    const throttled = api.accessLogs
      .addMetricFilter('ThrottledFilter', {
        filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
        metricNamespace: namespace,
        metricName: METRIC.throttled,
        metricValue: '1',
        defaultValue: 0,
      })
      .metric({ statistic: 'Sum', period, label: 'throttled (429)' });

    const requests = gateway('Count', 'SampleCount', 'requests');
    const serverErrors = gateway('5xx', 'Sum', '5xx');
    const kinds = TOKEN_KINDS.filter((k) => KIND_ENABLED[k](config));

    if (limits.enabled) {
      const alarm = (alarmId: AlarmId, what: string, metric: IMetric, threshold: number, comparison: ComparisonOperator) =>
        (this.alarms[alarmId] = new Alarm(this, alarmId, {
          alarmName: `${stackName}-${alarmId}`,
          alarmDescription: `${what}. Runbook: README, "Operations" > "Alarms" > ${alarmId}.`,
          metric,
          threshold,
          comparisonOperator: comparison,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }));
      const atLeast = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

      alarm(
        'ServerErrorRate',
        `More than ${limits.serverErrorRatePercent}% of requests answered 5xx in ${limits.periodMinutes} min (with at least ${limits.serverErrorMinRequests} requests)`,
        new MathExpression({
          expression: `IF(requests >= ${limits.serverErrorMinRequests}, 100 * FILL(errors, 0) / requests, 0)`,
          usingMetrics: { requests, errors: serverErrors },
          period,
          label: '5xx % of requests',
        }),
        limits.serverErrorRatePercent,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
      alarm('Throttled', `At least ${limits.throttledRequests} requests answered 429 (throttled) in ${limits.periodMinutes} min`, throttled, limits.throttledRequests, atLeast);
      if (emf) {
        alarm('SecretFailures', `At least ${limits.secretFailures} failed secret reads in ${limits.periodMinutes} min`, ours(METRIC.secretFailures), limits.secretFailures, atLeast);
        alarm(
          'IvsLookupFailures',
          `At least ${limits.ivsLookupFailures} failed IVS calls (GetChannel, ListChannels, StartViewerSessionRevocation) in ${limits.periodMinutes} min`,
          ours(METRIC.ivsLookupFailures),
          limits.ivsLookupFailures,
          atLeast,
        );
      }
      for (const [handler, f] of functions) {
        alarm(
          `LambdaErrors-${handler}`,
          `At least ${limits.lambdaErrors} errors of the ${handler} function in ${limits.periodMinutes} min (crash, timeout or out of memory)`,
          f.fn.metricErrors({ statistic: 'Sum', period }),
          limits.lambdaErrors,
          atLeast,
        );
      }

      if (limits.notify) {
        this.topic = limits.notify.topicArn ? Topic.fromTopicArn(this, 'AlarmTopic', limits.notify.topicArn) : this.createTopic(stackName);
        for (const email of limits.notify.emails) this.topic.addSubscription(new EmailSubscription(email));
        const action = new SnsAction(this.topic);
        for (const a of Object.values(this.alarms)) {
          a.addAlarmAction(action);
          a.addOkAction(action);
        }
        new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn, description: 'SNS topic the alarms notify (subscribe your on-call tool here)' });
      }
    }

    if (observability.dashboard) {
      const perFunction = (label: string, m: (f: (typeof functions)[number][1]) => Metric) => functions.map(([handler, f]) => m(f).with({ label: `${handler} ${label}`.trim() }));
      const widgets: IWidget[][] = [
        [
          new TextWidget({
            markdown:
              `## Token vending: ${stackName}\n` +
              `Requests, refusals and tokens per ${limits.periodMinutes} min. What each widget means, and the runbook of each alarm: README, "Operations".`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Requests (API Gateway)', [requests, gateway('4xx', 'Sum', '4xx'), serverErrors], 8),
          graph('5xx and throttling', [serverErrors, throttled, ...perFunction('Lambda throttles', (f) => f.fn.metricThrottles({ statistic: 'Sum', period }))], 8),
          graph('Latency, API Gateway (ms)', [
            gateway('Latency', 'p50', 'p50'),
            gateway('Latency', 'p99', 'p99'),
            gateway('IntegrationLatency', 'p50', 'integration p50'),
            gateway('IntegrationLatency', 'p99', 'integration p99'),
          ], 8),
        ],
        [
          graph('Lambda duration p50/p99 (ms)', [
            ...perFunction('p50', (f) => f.fn.metricDuration({ statistic: 'p50', period })),
            ...perFunction('p99', (f) => f.fn.metricDuration({ statistic: 'p99', period })),
          ], 12),
          graph('Lambda errors', perFunction('', (f) => f.fn.metricErrors({ statistic: 'Sum', period })), 12),
        ],
      ];
      if (emf) {
        widgets.push(
          [
            graph('Tokens issued per kind', kinds.map((kind) => ours(METRIC.tokensIssued, { kind }, kind)), 12),
            graph('Refusals by route and problem code (4xx and 5xx)', [
              // Every (route, code) pair that occurred: dimensions are constants, so the set is small.
              // Syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
              new SearchExpression({
                expression: `SEARCH('{"${namespace}",code,route,service} MetricName="${METRIC.refusals}"', 'Sum', ${period.toSeconds()})`,
                label: '',
                period,
              }),
            ], 12),
          ],
          [
            graph('Secret and IVS failures, stale values served', [
              ours(METRIC.secretFailures, {}, 'secret failures'),
              ours(METRIC.ivsLookupFailures, {}, 'IVS lookup failures'),
              ours(METRIC.staleValuesServed, {}, 'stale values served'),
            ], 12),
            graph('Cold starts', functions.map(([handler, f]) => ours(METRIC.coldStart, { function_name: f.fn.functionName }, handler)), 12),
          ],
        );
      }
      const alarmList = Object.values(this.alarms);
      if (alarmList.length) widgets.push([new AlarmStatusWidget({ title: 'Alarms', alarms: alarmList, width: 24, height: Math.max(3, Math.ceil(alarmList.length / 4) + 2) })]);

      this.dashboard = new Dashboard(this, 'Dashboard', {
        dashboardName: `${stackName}-operations`.replace(/[^A-Za-z0-9_-]/g, '-'),
        defaultInterval: Duration.hours(6),
        widgets,
      });
      new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName, description: 'CloudWatch dashboard of the token API' });
    }
  }

  /** A topic for alarm notifications: publishers must use TLS (SNS3). */
  private createTopic(stackName: string): Topic {
    const topic = new Topic(this, 'AlarmTopic', { displayName: `${stackName} alarms`, enforceSSL: true });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names, states and metric values only: no token, secret or user data. ' +
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key (aws/sns); a customer managed key would add a KMS key and its policy for no protected content.',
    });
    return topic;
  }
}

/** Which token kinds this deployment can issue (the others are left off the dashboard). */
const KIND_ENABLED: Record<TokenKind, (c: TokenVendingConfig) => boolean> = {
  playback: () => true,
  turn: (c) => c.turn !== undefined,
  room: (c) => c.livekit !== undefined,
};

const graph = (title: string, left: IMetric[], width: number) => new GraphWidget({ title, left, width, height: 6 });
