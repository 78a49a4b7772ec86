/** Template tests of the operations construct: dashboard, alarms, notifications, function environments. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type TokenVendingConfigInput } from '../../lambda/config/schema';
import { TokenVendingStack } from '../../lib/token-vending-stack';

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { tokenVending: TokenVendingConfigInput } };
const baseConfig = cdkJson.context.tokenVending;

function synth(overrides: Partial<TokenVendingConfigInput> = {}) {
  // Template only: skip esbuild bundling (the bundles are tested in bundles.test.ts).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TokenVendingStack(app, 'Ops', { config: parseConfig({ ...baseConfig, ...overrides }) });
  return { app, stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();

type Resource = { Properties: Record<string, any> };
const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const alarmNamed = (t: Template, id: string) => {
  const found = alarms(t).find((a) => a.Properties.AlarmName === `Ops-${id}`);
  if (!found) throw new Error(`no alarm Ops-${id}; have ${alarms(t).map((a) => a.Properties.AlarmName).join(', ')}`);
  return found.Properties;
};
/** The dashboard body with the CloudFormation tokens replaced by their logical ids, parsed. */
function dashboardOf(t: Template): { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; markdown?: string; alarms?: unknown[] } }[] } {
  const [d] = Object.values(t.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
  const parts = d!.Properties.DashboardBody['Fn::Join'][1] as (string | Record<string, unknown>)[];
  const body = parts.map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, "'")}>`)).join('');
  return JSON.parse(body);
}
/** Our functions: every Lambda function but the CDK provider framework's own (custom resource plumbing). */
const ours = (f: Resource) => !/resource provider framework/i.test(String(f.Properties.Description ?? ''));
const functionIds = (t: Template) => Object.entries(t.findResources('AWS::Lambda::Function')).filter(([, f]) => ours(f as Resource)).map(([id]) => id);

describe('the dashboard', () => {
  const dash = dashboardOf(template);
  const widget = (title: string) => {
    const w = dash.widgets.find((x) => x.properties.title === title);
    if (!w) throw new Error(`no widget "${title}"; have ${dash.widgets.map((x) => x.properties.title).join(', ')}`);
    return w.properties.metrics!.map((m) => JSON.stringify(m));
  };

  it('has the widgets an operator needs, titled as the README describes them', () => {
    expect(dash.widgets.map((w) => w.properties.title).filter(Boolean)).toEqual([
      'Requests (API Gateway)',
      '5xx and throttling',
      'Latency, API Gateway (ms)',
      'Lambda duration p50/p99 (ms)',
      'Lambda errors',
      'Tokens issued per kind',
      'Refusals by route and problem code (4xx and 5xx)',
      'Secret and IVS failures, stale values served',
      'Cold starts',
      'Alarms',
    ]);
    expect(dash.widgets[0]!.properties.markdown).toMatch(/README, "Operations"/);
  });

  it('reads the HTTP API metrics of the $default stage by their HTTP API names', () => {
    const requests = widget('Requests (API Gateway)');
    const api = "<{'Ref':'ApiHttpApi4C294DC0'}>";
    expect(requests).toEqual([
      JSON.stringify(['AWS/ApiGateway', 'Count', 'ApiId', api, 'Stage', '$default', { label: 'requests', stat: 'SampleCount' }]),
      JSON.stringify(['AWS/ApiGateway', '4xx', 'ApiId', api, 'Stage', '$default', { label: '4xx', stat: 'Sum' }]),
      JSON.stringify(['AWS/ApiGateway', '5xx', 'ApiId', api, 'Stage', '$default', { label: '5xx', stat: 'Sum' }]),
    ]);
    const latency = widget('Latency, API Gateway (ms)').join('\n');
    for (const [name, stat] of [['Latency', 'p50'], ['Latency', 'p99'], ['IntegrationLatency', 'p50'], ['IntegrationLatency', 'p99']]) {
      expect(latency).toContain(`"AWS/ApiGateway","${name}","ApiId","${api}","Stage","$default"`);
      expect(latency).toContain(`"stat":"${stat}"`);
    }
  });

  it('shows tokens issued per kind with the dimensions the functions emit', () => {
    expect(widget('Tokens issued per kind')).toEqual(
      ['playback', 'turn', 'room'].map((kind) => JSON.stringify(['TokenVending', 'TokensIssued', 'kind', kind, 'service', 'token-vending', { label: kind, stat: 'Sum' }])),
    );
  });

  it('shows refusals per route and problem code with a SEARCH over the Refusals metric', () => {
    const [search] = widget('Refusals by route and problem code (4xx and 5xx)');
    expect(JSON.parse(search!)[0].expression).toBe(
      `SEARCH('{"TokenVending",code,route,service} MetricName="Refusals"', 'Sum', 300)`,
    );
  });

  it('shows secret and IVS failures, stale values and cold starts of every function', () => {
    expect(widget('Secret and IVS failures, stale values served').join()).toMatch(/SecretFailures.*IvsLookupFailures.*StaleValuesServed/);
    const cold = widget('Cold starts');
    expect(cold).toHaveLength(functionIds(template).length);
    for (const m of cold) expect(m).toMatch(/^\["TokenVending","ColdStart","function_name","<\{'Ref':'(Api|PlaybackKey)\w*Function\w+'\}>","service","token-vending"/);
    expect(widget('5xx and throttling').join()).toContain('"TokenVending","Throttled"');
    expect(widget('Lambda duration p50/p99 (ms)')).toHaveLength(2 * functionIds(template).length);
  });

  it('leaves out the kinds the config does not serve', () => {
    const { turn: _t, livekit: _l, ...playbackOnly } = baseConfig;
    const d = dashboardOf(synth({ ...playbackOnly, entitlements: [{ name: 'all', channels: ['*'] }], turn: undefined, livekit: undefined }).template);
    const tokens = d.widgets.find((w) => w.properties.title === 'Tokens issued per kind')!;
    expect(tokens.properties.metrics!.map((m) => m[3])).toEqual(['playback']);
  });

  it('can be switched off; without EMF metrics it keeps only the AWS metrics', () => {
    expect(synth({ observability: { dashboard: false } }).template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
    const d = dashboardOf(synth({ observability: { metrics: { enabled: false } } }).template);
    expect(JSON.stringify(d)).not.toMatch(/TokensIssued|Refusals|SecretFailures|ColdStart/);
    expect(d.widgets.map((w) => w.properties.title)).toContain('Requests (API Gateway)');
  });
});

describe('the alarms', () => {
  it('are all named after the stack, described with their runbook entry, and quiet without data', () => {
    const all = alarms(template);
    expect(all.map((a) => a.Properties.AlarmName).sort()).toEqual(
      ['Ops-IvsLookupFailures', 'Ops-SecretFailures', 'Ops-ServerErrorRate', 'Ops-Throttled', ...['not-found', 'playback-tokens', 'room-tokens', 'turn-credentials', 'jwks', 'viewer-revocations', 'rotate-playback-key', 'playback-key-resource']
        .map((h) => `Ops-LambdaErrors-${h}`)].sort(),
    );
    for (const a of all) {
      expect(a.Properties.AlarmDescription).toMatch(/Runbook: README, "Operations" > "Alarms" > /);
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
      expect(a.Properties.EvaluationPeriods).toBe(1);
      expect(a.Properties.AlarmActions).toBeUndefined(); // nothing to notify unless configured
    }
  });

  it('ServerErrorRate: 5xx as a percentage of Count of the $default stage, > 1 % with at least 10 requests', () => {
    const a = alarmNamed(template, 'ServerErrorRate');
    expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(a.Threshold).toBe(1);
    const [expr, requests, errors] = a.Metrics;
    expect(expr.Expression).toBe('IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)');
    const dims = [{ Name: 'ApiId', Value: { Ref: 'ApiHttpApi4C294DC0' } }, { Name: 'Stage', Value: '$default' }];
    expect(requests.MetricStat).toEqual({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: dims }, Period: 300, Stat: 'SampleCount' });
    expect(errors.MetricStat).toEqual({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: dims }, Period: 300, Stat: 'Sum' });
  });

  it('Throttled: at least 10 answers with status 429 in the access logs, counted by a metric filter', () => {
    const a = alarmNamed(template, 'Throttled');
    expect(a.Threshold).toBe(10);
    expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    expect(a.Metrics[0].MetricStat).toEqual({ Metric: { Namespace: 'TokenVending', MetricName: 'Throttled' }, Period: 300, Stat: 'Sum' });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      LogGroupName: { Ref: Match.stringLikeRegexp('^ApiAccessLogs') },
      MetricTransformations: [{ MetricNamespace: 'TokenVending', MetricName: 'Throttled', MetricValue: '1', DefaultValue: 0 }],
    });
    // The access log line has the status field the filter reads.
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: { Format: Match.stringLikeRegexp('"status":"\\$context.status"') } });
  });

  it.each([
    ['SecretFailures', 'SecretFailures'],
    ['IvsLookupFailures', 'IvsLookupFailures'],
  ])('%s: at least 1 in 5 minutes of the EMF metric, dimension service only', (id, metric) => {
    const a = alarmNamed(template, id);
    expect(a).toMatchObject({
      Namespace: 'TokenVending',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'token-vending' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('LambdaErrors: at least 1 error of each function in 5 minutes', () => {
    for (const id of functionIds(template)) {
      const a = alarms(template).find((x) => x.Properties.Dimensions?.[0]?.Value?.Ref === id);
      expect(a?.Properties, id).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('take their thresholds, period and namespace from the config', () => {
    const { template: t } = synth({
      observability: { metrics: { namespace: 'Streams/Prod' } },
      alarms: { periodMinutes: 1, serverErrorRatePercent: 5, serverErrorMinRequests: 100, throttledRequests: 50, secretFailures: 3, ivsLookupFailures: 4, lambdaErrors: 2 },
    });
    const rate = alarmNamed(t, 'ServerErrorRate');
    expect(rate.Threshold).toBe(5);
    expect(rate.Metrics[0].Expression).toBe('IF(requests >= 100, 100 * FILL(errors, 0) / requests, 0)');
    expect(rate.Metrics[1].MetricStat.Period).toBe(60);
    expect(alarmNamed(t, 'Throttled').Threshold).toBe(50);
    expect(alarmNamed(t, 'Throttled').Metrics[0].MetricStat.Metric.Namespace).toBe('Streams/Prod');
    expect(alarmNamed(t, 'SecretFailures')).toMatchObject({ Threshold: 3, Namespace: 'Streams/Prod', Period: 60 });
    expect(alarmNamed(t, 'IvsLookupFailures')).toMatchObject({ Threshold: 4, Namespace: 'Streams/Prod' });
    expect(alarmNamed(t, 'LambdaErrors-playback-tokens').Threshold).toBe(2);
  });

  it('cover the HMAC authorizer function too', () => {
    expect(alarmNamed(synth({ auth: { type: 'hmac' } }).template, 'LambdaErrors-hmac-authorizer')).toMatchObject({ MetricName: 'Errors' });
  });

  it('can be switched off, and leave out the EMF alarms when metrics are off', () => {
    expect(alarms(synth({ alarms: { enabled: false } }).template)).toEqual([]);
    const names = alarms(synth({ observability: { metrics: { enabled: false } } }).template).map((a) => a.Properties.AlarmName);
    expect(names).toContain('Ops-ServerErrorRate');
    expect(names).not.toContain('Ops-SecretFailures');
    const { template: t } = synth({ alarms: { enabled: false }, observability: { dashboard: false } });
    expect(t.findResources('AWS::Logs::MetricFilter')).toEqual({});
  });

  it('refuse a bad config at synth with a clear message', () => {
    expect(() => synth({ alarms: { notify: { emails: ['not-an-address'] } } })).toThrow(/alarms\.notify\.emails\.0/);
    expect(() => synth({ alarms: { notify: { topicArn: 'arn:aws:sqs:us-east-1:123456789012:q' } } })).toThrow(/must be an SNS topic ARN/);
    expect(() => synth({ observability: { metrics: { namespace: 'AWS/Mine' } } })).toThrow(/reserved/);
  });
});

describe('alarm notifications', () => {
  it('with e-mails: a new topic that requires TLS, the subscriptions, and every alarm and recovery sent to it', () => {
    const { template: t, app } = synth({ alarms: { notify: { emails: ['oncall@example.com', 'ops@example.com'] } } });
    const [topicId] = Object.keys(t.findResources('AWS::SNS::Topic'));
    expect(topicId).toBeDefined();
    for (const email of ['oncall@example.com', 'ops@example.com']) {
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email, TopicArn: { Ref: topicId } });
    }
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Action: 'sns:Publish' }),
        ]),
      },
    });
    const all = alarms(t);
    expect(all.length).toBeGreaterThan(4);
    for (const a of all) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    t.hasOutput('*', { Value: { Ref: topicId } });
    // cdk-nag: SNS3 satisfied by enforceSSL, SNS2 acknowledged with its reason.
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it('with an existing topic: no new topic, every alarm sent to that ARN', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:pager';
    const { template: t } = synth({ alarms: { notify: { topicArn: arn } } });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of alarms(t)) expect(a.Properties.AlarmActions).toEqual([arn]);
  });

  it('without notify: no topic', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    void stack;
  });
});

describe('function environments', () => {
  const envs = (t: Template) =>
    (Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]).filter(ours).map((f) => f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>[];

  it('carry no debug flag: INFO logs, no event logging, no debug sampling, no dev mode, no inspector', () => {
    for (const t of [template, synth({ auth: { type: 'hmac' } }).template]) {
      for (const env of envs(t)) {
        expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO');
        expect(env.POWERTOOLS_SERVICE_NAME).toBe('token-vending');
        for (const flag of ['POWERTOOLS_DEV', 'POWERTOOLS_LOGGER_LOG_EVENT', 'POWERTOOLS_LOGGER_SAMPLE_RATE', 'POWERTOOLS_METRICS_DISABLED', 'DEBUG', 'NODE_DEBUG', 'AWS_LAMBDA_LOG_LEVEL']) {
          expect(env, flag).not.toHaveProperty(flag);
        }
        expect(String(env.NODE_OPTIONS ?? '')).not.toMatch(/inspect/);
      }
    }
  });

  it('take the log level from the config', () => {
    for (const env of envs(synth({ observability: { logLevel: 'WARN' } }).template)) expect(env.POWERTOOLS_LOG_LEVEL).toBe('WARN');
  });
});
