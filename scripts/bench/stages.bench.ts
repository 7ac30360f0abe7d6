/**
 * Each stage's throughput on one core, without Kafka: the pure handlers the services run, on realistic documents
 * (the load tool's event mix), with the Avro decoding of their input and encoding of their outputs that the runtime
 * does around them.
 *   npx tsx scripts/bench/stages.bench.ts [--events 400] [--seconds 5] [--pharmacies 50] [--stage composer|signer|router]
 *     [--profile FILE]
 * Rates are per second of user+system CPU time of this process (one thread), so that a loaded, shared machine
 * slows the clock, not the figure. The last line is the serial sum: what one core could do for the whole chain,
 * the ceiling of the in-process pipeline before Kafka's own costs (client, transactions, the broker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { composerHandler } from '@passerelle/composer';
import type { InputRecord, OutputRecord } from '@passerelle/kafka-runtime';
import { loadMessageSettings, loadRoutingConfig, routerHandler } from '@passerelle/router';
import { type ComposedDocument, type EventTopic, schemaOfTopic, type SignedDocument, topicSchemas } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { signerHandler } from '@passerelle/signer';
import avro from 'avsc';
import { localEnv } from '../local-pipeline';
import { GeneratedEvents } from '../load/events';
import { loadPki } from '../load/pki';
import { profiled } from './profile';
import { topicNames } from '@passerelle/pipeline';

const USAGE = `usage: npx tsx scripts/bench/stages.bench.ts [--events 400] [--seconds 5] [--pharmacies 50] [--stage composer|signer|router] [--profile FILE]
Each stage's documents/s and CPU ms per document on one core, without Kafka (Avro decoding and encoding included).
--stage measures that stage only (its inputs are still made by the stages before it).
--profile writes a V8 CPU profile of the measured part only (not the set-up) to FILE; summarise it with
  npx tsx scripts/bench/cpuprofile.ts FILE`;
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '400' },
    seconds: { type: 'string', default: '5' },
    pharmacies: { type: 'string', default: '50' },
    stage: { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const STAGES = ['composer', 'signer', 'router'] as const;
if (values.stage !== undefined && !(STAGES as readonly string[]).includes(values.stage)) {
  console.error(`--stage must be one of ${STAGES.join(', ')}\n${USAGE}`);
  process.exit(2);
}
const seconds = Number(values.seconds);
const topics = topicNames('');
const types = new Map<string, avro.Type>();
const typeOf = (topic: string) => {
  let t = types.get(topic);
  if (!t) {
    t = avro.Type.forSchema(schemaOfTopic(topic) as avro.Schema);
    types.set(topic, t);
  }
  return t;
};

type Handler<T> = (r: InputRecord<T>) => Promise<OutputRecord[]> | OutputRecord[];

function record<T>(topic: string, value: T, i: number): InputRecord<T> {
  return { topic, partition: 0, offset: String(i), key: Buffer.from(`k${i}`), headers: {}, value, raw: {} as InputRecord<T>['raw'] };
}

/** Decode the input's bytes, handle, encode every output: what the stage does per record between Kafka calls. */
async function step<T>(handle: Handler<T>, topic: string, bytes: Buffer, i: number): Promise<OutputRecord[]> {
  const value = typeOf(topic).fromBuffer(bytes) as T;
  const outputs = await handle(record(topic, value, i));
  for (const o of outputs) if (!Buffer.isBuffer(o.value)) typeOf(o.topic).toBuffer(o.value);
  return outputs;
}

/** Records per CPU second, cycling over the inputs for `seconds` of wall time after a warm-up pass. */
async function rate<T>(handle: Handler<T>, inputs: { topic: string; bytes: Buffer }[]): Promise<number> {
  for (const [i, x] of inputs.entries()) await step(handle, x.topic, x.bytes, i);
  const cpu = process.cpuUsage();
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < deadline) {
    const x = inputs[n % inputs.length] as { topic: string; bytes: Buffer };
    await step(handle, x.topic, x.bytes, n);
    n += 1;
  }
  const used = process.cpuUsage(cpu);
  return n / ((used.user + used.system) / 1e6);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'stages-bench-'));
  try {
    const pki = await loadPki(join(work, 'pki'), Number(values.pharmacies), 5);
    const env = localEnv({ keyStoreDir: pki.keyStoreDir, trustDir: pki.trustDir });
    const gen = new GeneratedEvents(7, pki.finess, Number(values.events));
    const topicOf = (topic: EventTopic) => topics[topicSchemas[topic].family];
    const events: { topic: string; bytes: Buffer }[] = [];
    for (let e = gen.next(); e; e = gen.next()) events.push({ topic: topicOf(e.topic), bytes: typeOf(topicOf(e.topic)).toBuffer(e.event) });

    const composer = composerHandler({ topics, testPlatform: true }) as Handler<unknown>;
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env });
    const signer = signerHandler({ topics, keyStore }) as Handler<ComposedDocument>;
    const router = routerHandler({
      topics,
      routing: loadRoutingConfig(env),
      settings: loadMessageSettings(env),
    }) as Handler<SignedDocument>;

    // Each stage's inputs are the previous stage's real outputs.
    const pick = (outs: OutputRecord[], topic: string) =>
      outs.filter((o) => o.topic === topic).map((o) => ({ topic, bytes: typeOf(topic).toBuffer(o.value) }));
    const composed: { topic: string; bytes: Buffer }[] = [];
    for (const [i, x] of events.entries()) composed.push(...pick(await step(composer, x.topic, x.bytes, i), topics.composed));
    const signed: { topic: string; bytes: Buffer }[] = [];
    for (const [i, x] of composed.entries()) signed.push(...pick(await step(signer, x.topic, x.bytes, i), topics.signed));
    let messages = 0;
    for (const [i, x] of signed.entries())
      messages += (await step(router, x.topic, x.bytes, i)).filter((o) => o.topic === topics.dmp || o.topic === topics.mss).length;

    const wanted = (stage: (typeof STAGES)[number]) => values.stage === undefined || values.stage === stage;
    const results: [string, number][] = [];
    await profiled(values.profile, async () => {
      if (wanted('composer')) results.push(['composer (decode event, INS checks, CDA build, encode)', await rate(composer, events)]);
      if (wanted('signer')) results.push(['signer (decode, XAdES-BES RSA-2048, encode)', await rate(signer, composed)]);
      if (wanted('router')) results.push(['router (decode, rules, DMP submission + MSSanté XDM ZIP, encode)', await rate(router, signed)]);
    });
    const serial = 1 / results.reduce((a, [, r]) => a + 1 / r, 0);
    console.log(
      `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `inputs: ${events.length} events (mix of the load tool), ${composed.length} composed, ${signed.length} signed, ${(messages / signed.length).toFixed(2)} messages per document; ${seconds} s per stage, per CPU second of one thread`,
    );
    console.log('| stage | documents/s per core | CPU ms per document |');
    console.log('|---|---:|---:|');
    for (const [name, r] of results) console.log(`| ${name} | ${r.toFixed(0)} | ${(1000 / r).toFixed(3)} |`);
    if (results.length > 1)
      console.log(`| the stages in series on one core (1 / Σ 1/rate) | ${serial.toFixed(0)} | ${(1000 / serial).toFixed(3)} |`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
