/**
 * One stage as a separate process (compiled, `node services/<stage>/dist/main.js`) draining a backlog of its input on
 * its own topic prefix: its CPU per document (Kafka client included) and its memory when every partition is full, the
 * state that sets its peak RSS at `--max`, without the other services or the load tool sharing the run.
 *
 *   npx tsx scripts/bench/drain.bench.ts [--stage router|signer|composer] [--records 3000] [--metrics-port 19371]
 *
 * The backlog is the stage's real input: the load tool's events (the composer's), through the composer handler (the
 * signer's) and the signer handler (the router's), in this process before the clock starts, written to the input
 * topic in a loop up to --records. The stage is then started and timed until its group has no lag. Peak RSS is read from /proc every 250 ms; the V8 heap and the
 * memory outside it (Buffers) from the process's /metrics at the RSS peak. Stack: KAFKA_BROKERS and
 * SCHEMA_REGISTRY_URL (default: the local stack, which must be running).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { composerHandler } from '@passerelle/composer';
import { createKafka, loadRuntimeConfig, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import { ensurePipelineTopics, pipelineCodec, pipelineLogger, topicNames } from '@passerelle/pipeline';
import { type EventTopic, type SignedDocument, topicSchemas } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { signerHandler } from '@passerelle/signer';
import type { Message } from 'kafkajs';
import { GeneratedEvents } from '../load/events';
import { groupLag } from '../load/lag';
import { loadPki } from '../load/pki';
import { localEnv } from '../local-pipeline';
import { LOCAL_BROKERS, LOCAL_REGISTRY } from '../local-stack';
import { batchTotals, buildServices, CLK_TCK, processTicks, rssMiB, sleep, startService, stopService } from './processes';

const USAGE = `usage: npx tsx scripts/bench/drain.bench.ts [--stage router|signer|composer] [--records 3000] [--events 400]
       [--metrics-port 19371] [--node-option=FLAG]... [--profile DIR] [--no-build]
One stage (default the router) as a compiled process draining a backlog of --records of its input (made from --events
of the load tool's mix): CPU ms per record (Kafka client included), peak RSS, V8 heap and external memory at the peak.
--node-option passes a flag to node for the stage (e.g. --node-option=--max-semi-space-size=8), to compare settings.
--profile writes the stage's CPU profile (node --cpu-prof) to DIR, for scripts/bench/cpuprofile.ts.`;
const STAGES = ['composer', 'signer', 'router'] as const;

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'router' },
    records: { type: 'string', default: '3000' },
    events: { type: 'string', default: '400' },
    'metrics-port': { type: 'string', default: '19371' },
    'node-option': { type: 'string', multiple: true, default: [] },
    profile: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const stageName = values.stage as (typeof STAGES)[number];
if (!(STAGES as readonly string[]).includes(stageName)) {
  console.error(`--stage must be one of ${STAGES.join(', ')}\n${USAGE}`);
  process.exit(2);
}

/** One figure of the process's Prometheus metrics (MiB), NaN when absent. */
async function metricsMiB(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? NaN) / 1048576;
  return {
    heapTotal: read('nodejs_heap_size_total_bytes'),
    heapUsed: read('nodejs_heap_size_used_bytes'),
    newSpace: read('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    oldSpace: read('nodejs_heap_space_size_total_bytes\\{space="old"\\}'),
    external: read('nodejs_external_memory_bytes'),
  };
}

/** The RSS in anonymous memory (heaps, buffers, malloc) and in mapped files (node's code), MiB. */
function rssSplit(pid: number): { anon: number; file: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const records = Number(values.records);
  const port = Number(values['metrics-port']);
  const brokers = process.env.KAFKA_BROKERS ?? LOCAL_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;
  const work = mkdtempSync(join(tmpdir(), 'drain-bench-'));
  try {
    buildServices(!values['no-build']);
    const pki = await loadPki(join(work, 'pki'), 50, 5);
    const prefix = `drain${Date.now().toString(36)}.`;
    const topics = topicNames(prefix);
    const env: NodeJS.ProcessEnv = {
      ...localEnv({ keyStoreDir: pki.keyStoreDir, trustDir: pki.trustDir }),
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      PASSERELLE_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...(values['node-option'].length > 0 ? { NODE_OPTIONS: values['node-option'].join(' ') } : {}),
    };

    // The backlog: the stage's real input (the composer and signer handlers in this process make it).
    const composer = composerHandler({ topics, testPlatform: true });
    const signer = signerHandler({ topics, keyStore: new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env }) });
    const record = <T>(topic: string, value: T, i: number): InputRecord<T> => ({
      topic,
      partition: 0,
      offset: String(i),
      key: null,
      headers: {},
      value,
      raw: {} as InputRecord<T>['raw'],
    });
    const gen = new GeneratedEvents(7, pki.finess, Number(values.events));
    // The stage's input records: topic and value.
    const inputs: { topic: string; value: unknown }[] = [];
    let i = 0;
    for (let e = gen.next(); e; e = gen.next()) {
      const eventTopic = topics[topicSchemas[e.topic as EventTopic].family];
      if (stageName === 'composer') {
        inputs.push({ topic: eventTopic, value: e.event });
        continue;
      }
      const composed = (await composer(record(eventTopic, e.event as never, i++))) as OutputRecord[];
      for (const c of composed.filter((o) => o.topic === topics.composed)) {
        if (stageName === 'signer') {
          inputs.push({ topic: topics.composed, value: c.value });
          continue;
        }
        const outs = (await signer(record(topics.composed, c.value as never, i++))) as OutputRecord[];
        inputs.push(
          ...outs.filter((o) => o.topic === topics.signed).map((o) => ({ topic: topics.signed, value: o.value as SignedDocument })),
        );
      }
    }
    const logger = pipelineLogger('drain', { destination: { write: () => undefined } as never });
    await ensurePipelineTopics(loadRuntimeConfig('drain', env), topics, logger);
    const codec = pipelineCodec(registryUrl);
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'passerelle-drain', ssl: false }, logger);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const encoded = await Promise.all(inputs.map(async (x) => ({ topic: x.topic, value: await codec.encode(x.topic, x.value) })));
    for (let start = 0; start < records; start += 200) {
      const byTopic = new Map<string, Message[]>();
      for (let n = start; n < Math.min(records, start + 200); n++) {
        const x = encoded[n % encoded.length] as { topic: string; value: Buffer };
        byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), { key: `doc-${n}`, value: x.value }]);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
    await producer.disconnect();
    const inputTopics = [...new Set(inputs.map((x) => x.topic))];
    console.log(`backlog: ${records} records (${inputs.length} distinct) on ${inputTopics.join(', ')}`);

    const admin = kafka.admin();
    await admin.connect();
    const loadStart = loadavg();
    const service = await startService(stageName, port, env, work, values.profile);
    const ticks0 = processTicks(service.pid);
    const rssAtReady = rssMiB(service.pid);
    const t0 = Date.now();
    let peak = 0;
    let split: { anon: number; file: number } | undefined;
    let atPeak: Record<string, number> | undefined;
    let lastMetrics = 0;
    try {
      for (;;) {
        const rss = rssMiB(service.pid);
        if (rss > peak) {
          peak = rss;
          split = rssSplit(service.pid) ?? split;
          if (Date.now() - lastMetrics > 500) {
            atPeak = await metricsMiB(port).catch(() => atPeak);
            lastMetrics = Date.now();
          }
        }
        if (Date.now() - t0 > 600_000) throw new Error(`the ${stageName} did not drain its backlog in 10 minutes`);
        const lag = await groupLag(admin, `${prefix}passerelle-${stageName}`, inputTopics).catch(() => NaN);
        if (lag === 0) break;
        await sleep(250);
      }
      const seconds = (Date.now() - t0) / 1000;
      const cpuMs = ((processTicks(service.pid) - ticks0) * 1000) / CLK_TCK;
      const txns = await batchTotals(port);
      const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(0));
      console.log(
        `${stageName} ready ${service.readyMs} ms after spawn${values['node-option'].length ? `, node ${values['node-option'].join(' ')}` : ''}`,
      );
      console.log(
        `drained ${records} records in ${seconds.toFixed(1)} s (${(records / seconds).toFixed(0)}/s); CPU ${(cpuMs / records).toFixed(3)} ms per record (Kafka client included)`,
      );
      if (txns && txns.count > 0) {
        console.log(`${txns.count} transactions, ${(txns.records / txns.count).toFixed(1)} input records per transaction`);
      }
      console.log(
        `RSS ${rssAtReady.toFixed(0)} MiB when ready; peak RSS ${peak.toFixed(0)} MiB (anonymous ${f(split?.anon)}, files: code ${f(split?.file)}); near the peak: V8 heap ${f(atPeak?.heapTotal)} MiB (new space ${f(atPeak?.newSpace)}, old ${f(atPeak?.oldSpace)}, used ${f(atPeak?.heapUsed)}), external (Buffers) ${f(atPeak?.external)} MiB`,
      );
      console.log(
        `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} → ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
    } finally {
      await stopService(service);
      await admin.disconnect();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
