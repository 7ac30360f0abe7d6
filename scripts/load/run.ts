/**
 * The load run: start the pipeline (in this process, or use services already running), publish events at a fixed
 * rate or as fast as the pipeline takes them, follow what comes out read committed, and report.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  childTraceparent,
  createKafka,
  dlqTopic,
  H,
  loadRuntimeConfig,
  parseTiers,
  prometheusMetrics,
  RegistryCodec,
  retryTopic,
  type RetryTier,
} from '@passerelle/kafka-runtime';
import { eventKey } from '@passerelle/publisher';
import { type DocumentStatus, type LgoEvent, type StageName, STAGES, topicSchemas } from '@passerelle/schemas';
import type { Admin, Kafka, Message } from 'kafkajs';
import { Registry } from 'prom-client';
import { startLocalPipeline, type LocalPipeline } from '../local-pipeline';
import { LOCAL_BROKERS, LOCAL_REGISTRY } from '../local-stack';
import { renderChart } from './chart';
import { groupLag, groupsToCount } from './lag';
import { freshCopy, GeneratedEvents, readEventFile } from './events';
import type { LoadOptions } from './options';
import { loadPki } from './pki';
import { describeSource, formatReport, judge, machine, timelineRows, type LoadReport } from './report';
import { percentiles, Timeline } from './stats';
import {
  ensurePipelineTopics,
  isFinal,
  pipelineCodec,
  pipelineLogger,
  stageInputs,
  stageInputTopics,
  topicNames,
  type TopicNames,
} from '@passerelle/pipeline';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The load tool runs against the local stack unless the environment names another.
const brokers = (process.env.KAFKA_BROKERS ?? LOCAL_BROKERS).split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;

/** Where events come from: an NDJSON file (each pharmacy mapped onto one with a certificate) or the generator. */
async function eventSource(o: LoadOptions, finess: readonly string[]): Promise<{ next(): LgoEvent | undefined; warm?: GeneratedEvents }> {
  if (!o.file) {
    const gen = new GeneratedEvents(o.seed, finess, o.generate);
    return { next: () => gen.next(), warm: new GeneratedEvents(o.seed + 1, finess) };
  }
  const events = await readEventFile(o.file);
  // A recorded file names real pharmacies, whose certificates we do not have: each is given one of ours, stably.
  const mapped = new Map<string, string>();
  let i = 0;
  return {
    next() {
      const e = events[i++];
      if (!e) return undefined;
      const copy = freshCopy(e);
      const original = copy.event.pharmacy.finess;
      if (!mapped.has(original)) mapped.set(original, finess[mapped.size % finess.length] as string);
      copy.event.pharmacy.finess = mapped.get(original) as string;
      return copy;
    },
  };
}

/**
 * Consumer-group lag (records not yet consumed, summed over partitions) of every stage running (its group exists),
 * the largest one.
 */
async function largestLag(admin: Admin, prefix: string, topics: TopicNames, tiers: RetryTier[]): Promise<number> {
  const stages = (Object.keys(STAGES) as StageName[]).map((name) => ({
    groupId: `${prefix}passerelle-${name}`,
    topics: stageInputs(name, topics, tiers),
  }));
  const { groups: existing } = await admin.listGroups();
  let largest = 0;
  for (const { groupId, topics: groupTopics } of groupsToCount(
    stages,
    existing.map((g) => g.groupId),
  )) {
    largest = Math.max(largest, await groupLag(admin, groupId, groupTopics));
  }
  return largest;
}

async function encodeAll(codec: RegistryCodec, topics: TopicNames, events: LgoEvent[]): Promise<Map<string, Message[]>> {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, event } of events) {
    const t = topics[topicSchemas[topic].family];
    const list = byTopic.get(t) ?? [];
    list.push({
      key: eventKey(event),
      value: await codec.encode(t, event),
      headers: { [H.eventId]: event.eventId, [H.traceparent]: childTraceparent() },
    });
    byTopic.set(t, list);
  }
  return byTopic;
}

export async function runLoad(
  o: LoadOptions,
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<{ report: LoadReport; exitCode: number }> {
  const machineAtStart = machine();
  const startedAt = new Date().toISOString();
  print(
    `machine: ${machineAtStart.cores} cores, ${machineAtStart.cpuModel}, ${machineAtStart.memoryMiB} MiB, load average ${machineAtStart.loadAverage.join(' ')}`,
  );
  const pki = await loadPki(o.pkiDir, o.pharmacies, o.keys);
  print(
    `test PKI: ${o.pharmacies} pharmacies, ${o.keys} distinct RSA keys, ${pki.cached ? 'reused' : 'made'} in ${pki.createdMs} ms (${o.pkiDir})`,
  );
  const source = await eventSource(o, pki.finess);
  const tiersSpec = process.env.PASSERELLE_RETRY_TIERS ?? '1s,5s,30s';
  const tiers = parseTiers(tiersSpec);
  const prefix = o.external ?? `load${randomUUID().slice(0, 8)}.`;
  const topics = topicNames(prefix);
  const logFile = join(tmpdir(), `passerelle-load-${prefix}log`);
  const logger = pipelineLogger('load', { destination: createWriteStream(logFile) });
  const kafka: Kafka = createKafka({ brokers, clientId: 'passerelle-load', ssl: false }, logger);
  const codec = pipelineCodec(registryUrl);
  const registry = new Registry();
  let pipeline: LocalPipeline | undefined;
  if (!o.external) {
    // Created here first, with retries: under a loaded broker, creating ~30 topics at once sometimes fails on a
    // metadata request that does not know a new topic yet (kafkajs retries only LEADER_NOT_AVAILABLE).
    for (let attempt = 1; ; attempt++) {
      try {
        const env = {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          PASSERELLE_RETRY_TIERS: tiersSpec,
        };
        await ensurePipelineTopics(loadRuntimeConfig('load', env), topics, logger);
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        print(`creating the run's topics failed (${(err as Error).message}); again in 2 s`);
        await sleep(2_000);
      }
    }
    pipeline = await startLocalPipeline({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix,
      tiers: tiersSpec,
      logger,
      metrics: (service) => prometheusMetrics(service, { registry }),
    });
    const readySince = Date.now();
    while (!pipeline.services.every((s) => s.stage.isReady())) await sleep(50);
    print(
      `pipeline in this process (prefix ${prefix}): ${pipeline.services.map((s) => s.name).join(', ')} ready ${Date.now() - readySince} ms after start returned; logs in ${logFile}`,
    );
  } else {
    print(`services already running on prefix ${prefix} (retry tiers ${tiersSpec})`);
  }

  // What the run observes, read committed.
  const published = new Map<string, number>();
  const measured = new Set<string>();
  /** Measured events not yet in a final state */
  const open = new Set<string>();
  const warming = new Set<string>();
  let timeline = new Timeline(Date.now());
  const totals = { routed: 0, deadLettered: 0, parked: 0, dmp: 0, mss: 0, retries: 0, deadLetters: 0 };
  const retryTopics = new Set(stageInputTopics(topics).flatMap((t) => tiers.map((tier) => retryTopic(t, tier))));
  const dlqTopics = new Set(stageInputTopics(topics).map(dlqTopic));
  const retriesBySecond: number[] = [];
  const deadLettersBySecond: number[] = [];
  let lastFinal = 0;
  const consumer = kafka.consumer({ groupId: `passerelle-load-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.status, topics.dmp, topics.mss, ...retryTopics, ...dlqTopics], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      const second = timeline.at(now);
      for (const m of batch.messages) {
        const eventId = m.headers?.[H.eventId]?.toString();
        if (batch.topic === topics.dmp || batch.topic === topics.mss) {
          if (!eventId || !measured.has(eventId)) continue;
          const at = published.get(eventId);
          if (at !== undefined) second.latencies.push(now - at);
          if (batch.topic === topics.dmp) {
            second.dmp += 1;
            totals.dmp += 1;
          } else {
            second.mss += 1;
            totals.mss += 1;
          }
        } else if (batch.topic === topics.status) {
          if (!m.value) continue;
          const s = await codec.decode<DocumentStatus>(topics.status, m.value);
          if (!isFinal(s.state)) continue;
          if (warming.delete(s.eventId)) continue;
          if (!open.delete(s.eventId)) continue;
          lastFinal = now;
          if (s.state === 'routed') {
            totals.routed += 1;
            second.routed += 1;
          } else {
            totals[s.state === 'parked' ? 'parked' : 'deadLettered'] += 1;
            second.failed += 1;
          }
        } else if (retryTopics.has(batch.topic)) {
          totals.retries += 1;
          retriesBySecond[second.t] = (retriesBySecond[second.t] ?? 0) + 1;
        } else if (dlqTopics.has(batch.topic)) {
          totals.deadLetters += 1;
          deadLettersBySecond[second.t] = (deadLettersBySecond[second.t] ?? 0) + 1;
        }
      }
    },
  });
  while (!joined) await sleep(50);

  // Idempotent and not transactional: its sends retry without bound, as kafkajs wants (a bounded retry could leave a
  // gap in the sequence numbers).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER } });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  let currentLag = 0;
  let peakLag = 0;
  let lagRunning = true;
  const lagLoop = (async () => {
    while (lagRunning) {
      try {
        currentLag = await largestLag(admin, prefix, topics, tiers);
        peakLag = Math.max(peakLag, currentLag);
        const s = timeline.at(Date.now());
        s.maxLag = Math.max(s.maxLag, currentLag);
      } catch {
        // The groups appear as the services commit for the first time.
      }
      await sleep(2_000);
    }
  })();
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1_000);

  const publish = async (events: LgoEvent[], into: Set<string>) => {
    const byTopic = await encodeAll(codec, topics, events);
    const at = Date.now();
    for (const { event } of events) {
      published.set(event.eventId, at);
      into.add(event.eventId);
      if (into === measured) open.add(event.eventId);
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  };
  const take = (n: number) => {
    const out: LgoEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = source.next();
      if (!e) break;
      out.push(e);
    }
    return out;
  };

  // Warm-up: one event per pharmacy, so that each certificate is opened once before the clock starts.
  let warmup: LoadReport['run']['warmup'] = null;
  if (o.warmup && source.warm) {
    const started = Date.now();
    const gen = source.warm;
    for (let i = 0; i < pki.finess.length; i += 500) {
      await publish(
        pki.finess.slice(i, i + 500).map((f) => gen.forPharmacy(f)),
        warming,
      );
      while (warming.size > o.window) await sleep(50);
    }
    while (warming.size > 0 && Date.now() - started < o.drainTimeoutMs) await sleep(100);
    warmup = { events: pki.finess.length, seconds: (Date.now() - started) / 1000 };
    print(
      `warm-up: ${pki.finess.length} events (one per pharmacy) done in ${warmup.seconds.toFixed(1)} s${warming.size ? `, ${warming.size} unfinished` : ''}`,
    );
  }

  // The measured phase.
  timeline = new Timeline(Date.now());
  retriesBySecond.length = 0;
  deadLettersBySecond.length = 0;
  peakLag = currentLag;
  const t0 = timeline.start;
  const cpuAtStart = process.cpuUsage();
  let produced = 0;
  let exhausted = false;
  let nextProgress = t0 + 10_000;
  const isTty = process.stdout.isTTY;
  const progress = () => {
    const now = Date.now();
    const sec = Math.floor((now - t0) / 1000);
    const w = timeline.window(sec - 10, sec);
    const span = Math.max(1, w.seconds);
    const sum = (a: number[]) => a.slice(Math.max(0, sec - 10), sec).reduce((x, y) => x + (y ?? 0), 0);
    const p = percentiles(w.latencies);
    if (isTty) process.stdout.write('\r\x1b[K');
    print(
      `[${String(sec).padStart(4)}s] produced ${(w.produced / span).toFixed(0)}/s, routed ${(w.routed / span).toFixed(0)} docs/s (dmp ${(w.dmp / span).toFixed(0)}/s, mss ${(w.mss / span).toFixed(0)}/s), retries ${(sum(retriesBySecond) / span).toFixed(1)}/s, dead letters ${(sum(deadLettersBySecond) / span).toFixed(1)}/s, max lag ${currentLag}, e2e p50 ${p.p50.toFixed(0)} p95 ${p.p95.toFixed(0)} p99 ${p.p99.toFixed(0)} ms, in flight ${measured.size - (totals.routed + totals.deadLettered + totals.parked)}`,
    );
  };
  const bar = () => {
    if (!isTty) return;
    const f = Math.min(1, (Date.now() - t0) / o.durationMs);
    process.stdout.write(
      `\r[${'#'.repeat(Math.round(f * 30)).padEnd(30)}] ${(f * 100).toFixed(0)}%  produced ${produced}  routed ${totals.routed}`,
    );
  };
  while (!exhausted && Date.now() - t0 < o.durationMs) {
    const now = Date.now();
    if (now >= nextProgress) {
      progress();
      nextProgress += 10_000;
    }
    const inFlight = produced - (totals.routed + totals.deadLettered + totals.parked);
    const due = o.max ? Math.min(500, o.window - inFlight) : Math.min(1_000, Math.floor(((o.rate ?? 0) * (now - t0)) / 1000) - produced);
    if (due <= 0) {
      bar();
      await sleep(o.max ? 20 : 10);
      continue;
    }
    const events = take(due);
    if (events.length < due) exhausted = true;
    if (events.length === 0) break;
    await publish(events, measured);
    produced += events.length;
    timeline.at(Date.now()).produced += events.length;
  }
  const producingMs = Date.now() - t0;
  const lastPublish = Date.now();
  print(
    `${isTty ? '\r\x1b[K' : ''}published ${produced} events in ${(producingMs / 1000).toFixed(1)} s${exhausted ? ' (source exhausted)' : ''}; draining`,
  );
  const finished = () => totals.routed + totals.deadLettered + totals.parked;
  while (finished() < produced && Date.now() - lastPublish < o.drainTimeoutMs) {
    if (Date.now() >= nextProgress) {
      progress();
      nextProgress += 10_000;
    }
    await sleep(100);
  }
  await sleep(500); // the last transactions' dmp/mss messages
  const drainMs = finished() >= produced ? Math.max(0, lastFinal - lastPublish) : NaN;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = (Date.now() - t0) / 1000;
  lagRunning = false;
  await lagLoop;
  clearInterval(rssTimer);
  await producer.disconnect();
  await consumer.disconnect();
  await admin.disconnect();
  await pipeline?.stop();

  const all = timeline.window(0, timeline.seconds.length);
  const steady = timeline.window(10, Math.floor(producingMs / 1000));
  const endMs = (lastFinal || Date.now()) - t0;
  const report: LoadReport = {
    run: {
      source: describeSource(o),
      mode: o.max ? `as fast as it sustains (window ${o.window})` : `${o.rate}/s`,
      durationS: Math.round(producingMs / 100) / 10,
      pharmacies: o.pharmacies,
      distinctKeys: o.keys,
      pipeline: o.external ? 'services already running' : 'composer, signer, router, retrier in the load process',
      prefix,
      startedAt,
      warmup,
    },
    machineAtStart,
    loadAverageAtEnd: machine().loadAverage,
    totals: {
      produced,
      routed: totals.routed,
      deadLettered: totals.deadLettered,
      parked: totals.parked,
      unfinished: produced - finished(),
      dmpMessages: totals.dmp,
      mssMessages: totals.mss,
      retries: totals.retries,
      deadLetters: totals.deadLetters,
    },
    successPct: produced ? (100 * totals.routed) / produced : NaN,
    throughput: {
      producedPerS: produced / (producingMs / 1000),
      routedPerS: totals.routed / (endMs / 1000),
      steadyRoutedPerS: steady.seconds ? steady.routed / steady.seconds : NaN,
    },
    endToEndMs: percentiles(all.latencies),
    peakLag,
    drainMs,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    cpu: {
      processSeconds: Math.round(cpuSeconds * 10) / 10,
      averageCores: Math.round((cpuSeconds / wallSeconds) * 100) / 100,
      routedPerCpuSecond: cpuSeconds > 0 ? Math.round((totals.routed / cpuSeconds) * 10) / 10 : NaN,
    },
    thresholds: [],
    timeline: timelineRows(timeline.seconds),
  };
  report.thresholds = judge(report, o.thresholds);
  print(formatReport(report));
  if (o.report) {
    writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
    print(`report: ${o.report}`);
  }
  if (o.chart) {
    writeFileSync(
      o.chart,
      renderChart(
        timeline.seconds,
        `${report.run.mode}, ${report.run.pharmacies} pharmacies, ${machineAtStart.cores} cores, load ${machineAtStart.loadAverage[0]}`,
      ),
    );
    print(`chart: ${o.chart}`);
  }
  return { report, exitCode: report.thresholds.every((t) => t.ok) ? 0 : 1 };
}
