import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prometheusMetrics } from '@passerelle/kafka-runtime';
import type { Metric } from 'prom-client';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/stack-settings';

/**
 * infra/observability: the alert rules pass promtool (syntax, and the unit tests of alerts.test.yml: each alert fires
 * once for a lasting state and resolves once), and the dashboard and the rules name only metrics (and labels) that
 * the services register. Those are read from the runtime's Prometheus registry, the one every service and the status
 * monitor serve (`prometheusMetrics`), instantiated here: no list of names is written by hand.
 */
const OBS = join(REPO_ROOT, 'infra', 'observability');
const RULES = join(OBS, 'prometheus', 'alerts.yml');
const RULE_TESTS = join(OBS, 'prometheus', 'alerts.test.yml');
const DASHBOARD = join(OBS, 'grafana', 'dashboards', 'passerelle.json');

/** Series Prometheus adds to every target itself, and the labels it attaches (prometheus.yml's target labels too). */
const SYNTHETIC_SERIES = new Set(['up']);
const TARGET_LABELS = new Set(['job', 'instance', 'service']);

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

interface PromqlNames {
  /** Metric names the expression reads */
  metrics: Set<string>;
  /** Label names in its selectors, by metric */
  matchers: Map<string, Set<string>>;
  /** Label names of its by/without/on/ignoring clauses */
  grouping: Set<string>;
}

/**
 * The metric and label names of a PromQL expression (the subset the dashboard and rules use: selectors with matchers,
 * ranges, aggregations with by/without, functions, binary operators, Grafana's `$variables`).
 */
function promqlNames(expr: string): PromqlNames {
  const metrics = new Set<string>();
  const matchers = new Map<string, Set<string>>();
  const grouping = new Set<string>();
  let rest = expr.replace(/\$\{?\w+\}?/g, ' ');
  // Selectors with matchers: `name{label="v", …}` or `{__name__="name"}`.
  rest = rest.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_, name: string | undefined, body: string) => {
    const labels = new Set<string>();
    let metric = name;
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g)) {
      if (m[1] === '__name__') metric = (m[3] as string).slice(1, -1);
      else labels.add(m[1] as string);
    }
    if (!metric) throw new Error(`a selector without a metric name in ${expr}`);
    metrics.add(metric);
    matchers.set(metric, new Set([...(matchers.get(metric) ?? []), ...labels]));
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw: string, labels: string) => {
    for (const l of labels.split(',')) if (l.trim()) grouping.add(l.trim());
    return ' ';
  });
  rest = rest.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ');
  for (const m of rest.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const token = m[1] as string;
    if (!KEYWORDS.has(token.toLowerCase())) metrics.add(token);
  }
  return { metrics, matchers, grouping };
}

/** The series names a registry exposes, each with its label names: a histogram's `_bucket` (with `le`), `_sum`, `_count`. */
function exportedSeries(): Map<string, Set<string>> {
  const metrics = prometheusMetrics('probe', { defaultMetrics: true });
  const series = new Map<string, Set<string>>();
  for (const metric of metrics.registry.getMetricsAsArray() as unknown as (Metric & { name: string; labelNames?: string[] })[]) {
    const type = (metric as unknown as { type?: string }).type ?? (metric.constructor.name.toLowerCase() as string);
    const labels = new Set(metric.labelNames ?? []);
    if (type === 'histogram' || type === 'summary') {
      series.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
      if (type === 'summary') series.set(metric.name, new Set([...labels, 'quantile']));
    } else {
      series.set(metric.name, labels);
    }
  }
  return series;
}

function dashboardExpressions(): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'expr' && typeof v === 'string') found.push(v);
        else walk(v);
      }
    }
  };
  walk(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  return found;
}

function ruleExpressions(): string[] {
  const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** What an expression names that no service exports: unknown metrics, and labels the metrics it reads do not have. */
function unknownNames(expr: string, series: Map<string, Set<string>>): string[] {
  const names = promqlNames(expr);
  const problems: string[] = [];
  const labelsOf = (metric: string): Set<string> | undefined =>
    SYNTHETIC_SERIES.has(metric) ? new Set(TARGET_LABELS) : series.get(metric);
  const readable = new Set<string>(TARGET_LABELS);
  for (const metric of names.metrics) {
    const labels = labelsOf(metric);
    if (!labels) {
      problems.push(`metric ${metric}`);
      continue;
    }
    for (const l of labels) readable.add(l);
    for (const l of names.matchers.get(metric) ?? []) {
      if (!labels.has(l) && !TARGET_LABELS.has(l)) problems.push(`label ${l} of ${metric}`);
    }
  }
  for (const l of names.grouping) if (!readable.has(l)) problems.push(`label ${l} (by/on)`);
  return problems;
}

const promtool = (args: string[]): string => {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool not found: install Debian's prometheus package (apt-get install prometheus)");
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
};

describe('infra/observability: alert rules', () => {
  it('pass `promtool check rules`', () => {
    expect(promtool(['check', 'rules', RULES])).toMatch(/SUCCESS: 9 rules found/);
  });

  it('pass `promtool test rules`: each alert fires once for a lasting state, and resolves once it ends', () => {
    expect(promtool(['test', 'rules', RULE_TESTS])).toMatch(/SUCCESS/);
  });

  it('hold each state with for: or a window, and never compare a raw counter (which would fire per record)', () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBe(9);
    for (const r of all) {
      const held = Boolean(r.for) || /\[\d+[smh]\]/.test(r.expr);
      const rawCounters = (r.expr.match(/passerelle_\w+_total/g) ?? []).filter(
        (c) => !new RegExp(`(rate|increase)\\(${c}(\\{[^}]*\\})?\\[\\d+[smh]\\]\\)`).test(r.expr),
      );
      expect({ alert: r.alert, held, rawCounters }).toEqual({ alert: r.alert, held: true, rawCounters: [] });
    }
  });
});

describe('infra/observability: the dashboard and the rules name only what the services export', () => {
  const series = exportedSeries();

  it('reads the names from the runtime registry every service serves', () => {
    expect(series.get('passerelle_records_consumed_total')).toEqual(new Set(['service', 'topic', 'outcome']));
    expect(series.get('passerelle_delivery_seconds_bucket')).toEqual(new Set(['service', 'destination', 'le']));
    expect(series.get('passerelle_certificate_expiry_days')).toEqual(new Set(['service', 'usage', 'finess']));
  });

  it('finds an unknown metric or label (the check is not blind)', () => {
    expect(unknownNames('sum by (code) (rate(passerelle_retries_total{stage="x"}[5m]))', series)).toEqual([
      'metric passerelle_retries_total',
      'label code (by/on)',
    ]);
    expect(unknownNames('max by (patient) (passerelle_breaker_open{destination="dmp"})', series)).toEqual(['label patient (by/on)']);
    expect(unknownNames('passerelle_consumer_lag{topc="a"} > 3', series)).toEqual(['label topc of passerelle_consumer_lag']);
    expect(
      promqlNames('histogram_quantile(0.95, sum by (le, destination) (rate(passerelle_delivery_seconds_bucket[$__rate_interval]))) > 1e3')
        .metrics,
    ).toEqual(new Set(['passerelle_delivery_seconds_bucket']));
  });

  it.each([
    ['dashboard', dashboardExpressions],
    ['alert rules', ruleExpressions],
  ])('%s: every metric and label exists', (_, expressions) => {
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(5);
    const problems = exprs.flatMap((e) => unknownNames(e, series).map((p) => `${p} in ${e}`));
    expect(problems).toEqual([]);
  });

  it('covers what the issue asks for: throughput, latency, lag, dead letters, retries, breakers, certificates, oldest undelivered', () => {
    const used = (exprs: string[]) => new Set(exprs.flatMap((e) => [...promqlNames(e).metrics]));
    const onDashboard = used(dashboardExpressions());
    for (const m of [
      'passerelle_records_consumed_total',
      'passerelle_delivery_seconds_bucket',
      'passerelle_end_to_end_seconds_bucket',
      'passerelle_consumer_lag',
      'passerelle_failures_total',
      'passerelle_breaker_open',
      'passerelle_certificate_expiry_days',
      'passerelle_oldest_undelivered_seconds',
    ]) {
      expect(onDashboard).toContain(m);
    }
    const inRules = used(ruleExpressions());
    for (const m of ['passerelle_certificate_expiry_days', 'passerelle_oldest_undelivered_seconds', 'passerelle_breaker_open', 'up']) {
      expect(inRules).toContain(m);
    }
  });
});
