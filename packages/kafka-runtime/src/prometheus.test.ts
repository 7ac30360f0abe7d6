import { Registry } from 'prom-client';
import { reportCertificates } from './metrics';
import { codeLabel, holderLabel, outcomeOfTopic, prometheusMetrics } from './prometheus';

async function values(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values;
}

describe('prometheusMetrics', () => {
  it('counts consumed, produced (outcome from the topic) and failures by code, labelled with the service', async () => {
    const m = prometheusMetrics('composer', { defaultMetrics: false });
    m.consumed('orders.v1', 'ok');
    m.consumed('orders.v1', 'ok');
    m.consumed('orders.v1', 'failed');
    m.produced('documents.composed', 3);
    m.produced('orders.v1.retry.5s', 1);
    m.produced('orders.v1.dlq', 2);
    m.failed('orders.v1', 'INS_KEY_MISMATCH', 'dead-letter');
    m.failed('orders.v1', 'REGISTRY_UNAVAILABLE', 'retry');

    expect(await values(m.registry, 'passerelle_records_consumed_total')).toEqual(
      expect.arrayContaining([
        { value: 2, labels: { service: 'composer', topic: 'orders.v1', outcome: 'ok' } },
        { value: 1, labels: { service: 'composer', topic: 'orders.v1', outcome: 'failed' } },
      ]),
    );
    expect(await values(m.registry, 'passerelle_records_produced_total')).toEqual([
      { value: 3, labels: { service: 'composer', topic: 'documents.composed', outcome: 'ok' } },
      { value: 1, labels: { service: 'composer', topic: 'orders.v1.retry.5s', outcome: 'retry' } },
      { value: 2, labels: { service: 'composer', topic: 'orders.v1.dlq', outcome: 'dead-letter' } },
    ]);
    const text = await m.text();
    expect(text).toContain(
      'passerelle_failures_total{service="composer",topic="orders.v1",code="INS_KEY_MISMATCH",outcome="dead-letter"} 1',
    );
    expect(text).toContain('passerelle_failures_total{service="composer",topic="orders.v1",code="REGISTRY_UNAVAILABLE",outcome="retry"} 1');
  });

  it('observes batch time and end-to-end latency from the event time, never negative', async () => {
    const m = prometheusMetrics('router', { defaultMetrics: false });
    m.batch('documents.signed', 50, 0.04);
    const now = Date.now();
    m.emitted?.('dmp.submissions', now - 300);
    m.emitted?.('dmp.submissions', now + 60_000); // the LGO's clock ahead of ours
    const text = await m.text();
    expect(text).toContain('passerelle_batch_duration_seconds_bucket{le="0.05",service="router",topic="documents.signed"} 1');
    expect(text).toContain('passerelle_batch_records_sum{service="router",topic="documents.signed"} 50');
    expect(text).toContain('passerelle_end_to_end_seconds_count{service="router",topic="dmp.submissions"} 2');
    // Both observations are at most a second: 0.3 s and the clamped 0.
    expect(text).toContain('passerelle_end_to_end_seconds_bucket{le="1",service="router",topic="dmp.submissions"} 2');
    expect(text).toContain('passerelle_end_to_end_seconds_bucket{le="0.01",service="router",topic="dmp.submissions"} 1');
  });

  it('keeps the lag per partition and forgets the partitions on a rebalance', async () => {
    const m = prometheusMetrics('signer', { defaultMetrics: false });
    m.lag?.('documents.composed', 0, 120);
    m.lag?.('documents.composed', 3, 7);
    m.lag?.('documents.composed', 0, 20);
    m.lag?.('documents.composed', 3, -1); // an empty batch after a transaction marker
    expect(await values(m.registry, 'passerelle_consumer_lag')).toEqual([
      { value: 20, labels: { service: 'signer', topic: 'documents.composed', partition: '0' } },
      { value: 0, labels: { service: 'signer', topic: 'documents.composed', partition: '3' } },
    ]);
    m.rebalanced?.();
    expect(await values(m.registry, 'passerelle_consumer_lag')).toEqual([]);
  });

  it('lets several services share one injected registry, and leaves the global registry alone', async () => {
    const registry = new Registry();
    const composer = prometheusMetrics('composer', { registry });
    const signer = prometheusMetrics('signer', { registry });
    composer.consumed('orders.v1', 'ok');
    signer.consumed('documents.composed', 'ok');
    const consumed = await values(registry, 'passerelle_records_consumed_total');
    expect(consumed.map((v) => v.labels.service)).toEqual(['composer', 'signer']);
    // Process metrics are collected once per registry.
    expect(await registry.metrics()).toMatch(/^process_resident_memory_bytes \d+/m);
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('passerelle_records_consumed_total')).toBeUndefined();
  });

  it('bounds error-code labels and tells outcomes from topic names', () => {
    expect(codeLabel('CERT_MISSING')).toBe('CERT_MISSING');
    expect(codeLabel('contains a space')).toBe('OTHER');
    expect(codeLabel('x'.repeat(65))).toBe('OTHER');
    expect(codeLabel('')).toBe('OTHER');
    expect(outcomeOfTopic('e2e1.documents.signed.retry.10m')).toBe('retry');
    expect(outcomeOfTopic('documents.signed.dlq')).toBe('dead-letter');
    expect(outcomeOfTopic('mss.messages')).toBe('ok');
  });

  it('gives the days left of each certificate at scrape time, by use and FINESS; a new report replaces the use', async () => {
    const registry = new Registry();
    const signer = prometheusMetrics('signer', { registry, defaultMetrics: false });
    const gateway = prometheusMetrics('dmp-gateway', { registry, defaultMetrics: false });
    const day = 86_400_000;
    signer.certificates?.(
      'sign',
      new Map([
        ['750100208', Date.now() + 29.5 * day],
        ['2A0100018', Date.now() - 2 * day],
        ['Jean Dupont', Date.now() + day], // not an identifier: never a label
      ]),
    );
    gateway.certificates?.('auth-cli', new Map([['750100208', Date.now() + 400 * day]]));
    const text = await registry.metrics();
    expect(text).toContain('passerelle_certificate_expiry_days{service="signer",usage="sign",finess="750100208"} 29.5');
    expect(text).toContain('passerelle_certificate_expiry_days{service="signer",usage="sign",finess="2A0100018"} -2');
    expect(text).toContain('passerelle_certificate_expiry_days{service="dmp-gateway",usage="auth-cli",finess="750100208"} 400');
    expect(text).not.toContain('Jean');
    // The pharmacy 2A0100018 renewed nothing but left: its series goes with the next report.
    signer.certificates?.('sign', new Map([['750100208', Date.now() + 29.5 * day]]));
    expect(await registry.metrics()).not.toContain('2A0100018');
    expect(holderLabel('750100208')).toBe('750100208');
    expect(holderLabel('75 0100208')).toBeUndefined();
  });

  it('reports certificates at start and on a timer, and stops; a first report asked for later comes later', async () => {
    const m = prometheusMetrics('mss-gateway', { defaultMetrics: false });
    let calls = 0;
    const stop = reportCertificates(m, { 'auth-cli': () => (calls++, new Map([['750100208', Date.now() + 86_400_000]])) }, 20);
    await new Promise((r) => setTimeout(r, 120));
    stop();
    const seen = calls;
    expect(seen).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(seen);
    expect(await m.text()).toContain('passerelle_certificate_expiry_days{service="mss-gateway",usage="auth-cli",finess="750100208"} 1');

    let later = 0;
    const stopLater = reportCertificates(m, { sign: () => (later++, new Map()) }, 60_000, 100);
    await new Promise((r) => setTimeout(r, 30));
    expect(later).toBe(0);
    await new Promise((r) => setTimeout(r, 150));
    expect(later).toBe(1);
    stopLater();
  });

  it('gives the undelivered documents and the age of the oldest at scrape time (0 when none)', async () => {
    const m = prometheusMetrics('status-monitor', { defaultMetrics: false });
    m.undelivered?.(3, Date.now() - 90_000);
    const text = await m.text();
    expect(text).toContain('passerelle_undelivered_documents{service="status-monitor"} 3');
    const age = Number(/passerelle_oldest_undelivered_seconds\{service="status-monitor"\} ([\d.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(100);
    m.undelivered?.(0, undefined);
    expect(await m.text()).toContain('passerelle_oldest_undelivered_seconds{service="status-monitor"} 0');
  });

  it('observes deliveries from the event time, by destination', async () => {
    const m = prometheusMetrics('dmp-gateway', { defaultMetrics: false });
    m.delivered?.('dmp', Date.now() - 2_000);
    const text = await m.text();
    expect(text).toContain('passerelle_delivery_seconds_count{service="dmp-gateway",destination="dmp"} 1');
    expect(text).toContain('passerelle_delivery_seconds_bucket{le="2.5",service="dmp-gateway",destination="dmp"} 1');
    expect(text).toContain('passerelle_delivery_seconds_bucket{le="1",service="dmp-gateway",destination="dmp"} 0');
  });
});
