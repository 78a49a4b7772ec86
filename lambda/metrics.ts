/**
 * The one metrics module of the runtime: Powertools Metrics writing CloudWatch embedded metric
 * format (EMF) lines to stdout, which Lambda ships to CloudWatch Logs and CloudWatch turns into
 * metrics. The local server runs the same handlers, so it prints the same lines.
 *
 * - The outcome of a request (TokensIssued or Refusals) is recorded and flushed once per
 *   invocation by `httpHandler`, in one synchronous step (so concurrent local requests cannot
 *   mix their dimensions).
 * - Failures seen outside the request's own outcome (secret and IVS lookups, stale values) are
 *   written at once, as single-metric lines with their own dimensions: a background refresh may
 *   fail after the response has gone.
 *
 * Dimension values are constants from the code (route keys, problem codes, token kinds), never
 * anything from a request. Namespace and on/off come from the config
 * (`observability.metrics`); POWERTOOLS_METRICS_DISABLED still switches Powertools off.
 * Metrics never break a request: a failure to emit is logged and swallowed.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { runtimeConfig } from './config/runtime';
import { METRIC, SERVICE_NAME, TOKEN_ROUTES } from './config/observability';
import { errorSummary, logger } from './logger';

let instance: Metrics | null | undefined;

/** The Metrics instance, built on first use from the runtime config; null when metrics are off. */
function sink(): Metrics | null {
  if (instance !== undefined) return instance;
  const { enabled, namespace } = runtimeConfig().config.observability.metrics;
  instance = enabled ? new Metrics({ namespace, serviceName: SERVICE_NAME }) : null;
  return instance;
}

function safely(what: string, emit: (m: Metrics) => void): void {
  try {
    const m = sink();
    if (m) emit(m);
  } catch (err) {
    logger.warn('metric not emitted', { metric: what, error: errorSummary(err) });
  }
}

/**
 * The outcome of one request, flushed at once: TokensIssued{kind} for a 2xx of a token route,
 * Refusals{route, code} for a problem answer. Other 2xx/3xx (no token) emit nothing here.
 */
export function recordOutcome(route: string, status: number, code?: string): void {
  safely('outcome', (m) => {
    const kind = TOKEN_ROUTES[route];
    if (status < 400) {
      if (!kind) return;
      m.addDimension('kind', kind);
      m.addMetric(METRIC.tokensIssued, MetricUnit.Count, 1);
    } else {
      m.addDimension('route', route);
      m.addDimension('code', code ?? `http_${status}`);
      m.addMetric(METRIC.refusals, MetricUnit.Count, 1);
    }
    m.publishStoredMetrics();
  });
}

export type LookupKind = 'secret' | 'ivs';

/**
 * A secret or IVS lookup failed. `stale: true` means a cached value keeps serving (a failed
 * refresh): that also counts StaleValuesServed. `source` (a constant label such as "playback
 * signing key") goes into the EMF line as metadata for log queries, never as a dimension.
 */
export function lookupFailed(kind: LookupKind, source: string, opts: { stale?: boolean } = {}): void {
  safely(kind, (m) => {
    const name = kind === 'secret' ? METRIC.secretFailures : METRIC.ivsLookupFailures;
    single(m, name, source);
    if (opts.stale) single(m, METRIC.staleValuesServed, source);
  });
}

function single(m: Metrics, name: string, source: string): void {
  const one = m.singleMetric();
  one.addMetadata('source', source);
  one.addMetric(name, MetricUnit.Count, 1); // a single metric is written as soon as it is added
}

/** Powertools' ColdStart metric (dimension function_name), on the first invocation of a container only. */
export function coldStart(functionName?: string): void {
  safely('cold start', (m) => m.captureColdStartMetric(functionName));
}
