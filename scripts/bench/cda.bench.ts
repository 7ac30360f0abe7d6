/**
 * Document building and XSD validation costs: `npx tsx scripts/bench/cda.bench.ts [--seconds N] [--profile F]`.
 * - documents built per CPU second for each type, on one core (this process is single-threaded), over 200 distinct
 *   generated events of the type (the load tool's generator), with the INS check the composer makes per document;
 * - one XSD validation with xmllint: per document (one process each) and per batch (one process for many files).
 * Prints the machine's core count and CPU, and the `openssl speed rsa2048` reference of DESIGN §8.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDocument } from '@passerelle/cda';
import { assertPatientIdentity } from '@passerelle/ins';
import { topicSchemas, type EventFamily, type Patient } from '@passerelle/schemas';
import { EVENT_SHAPES, generateEvent, Rng } from '../../test/generators/events';
import { profiled } from './profile';

const USAGE = `usage: npx tsx scripts/bench/cda.bench.ts [--seconds 3] [--profile <file.cpuprofile>] [--no-xsd]
Documents built per CPU second for each type on one core (CPU µs per document), and the cost of an XSD validation
with xmllint. --profile writes a V8 CPU profile of the measured builds only (all types; summarise it with
scripts/bench/cpuprofile.ts).`;
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    profile: { type: 'string' },
    'no-xsd': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(values.seconds) || 3;
const root = resolve(__dirname, '..', '..');
const cisis = process.env.CISIS_DIR ?? resolve(root, '..', 'shared', 'spec', 'cisis');
const xsd = join(cisis, 'infrastructure', 'cda', 'CDA_extended.xsd');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;

const types: [string, EventFamily, Record<string, unknown>][] = [
  ['vaccination-note', 'vaccination', fixture('vaccination')],
  ['dispensation', 'dispensation', fixture('dispensation')],
  ['medication-review', 'medicationReview', fixture('medication-review')],
  ['pharmaceutical-interview', 'medicationReview', fixture('pharmaceutical-interview')],
];
/** 200 distinct generated events of each type (same seed, same events from run to run). */
const generated = (shape: number): { family: EventFamily; event: Record<string, unknown> }[] => {
  const rng = new Rng(11 + shape);
  return Array.from({ length: 200 }, (_, i) => {
    const e = generateEvent(EVENT_SHAPES[shape] as (typeof EVENT_SHAPES)[number], rng, i);
    return { family: topicSchemas[e.topic].family, event: e.event as unknown as Record<string, unknown> };
  });
};
/** The composer checks the identity once per document: so does the benchmark. */
const buildFor = (family: EventFamily, event: Record<string, unknown>) =>
  buildDocument(family, event as never, assertPatientIdentity(event.patient as Patient, { testPlatform: true }));

/**
 * Builds documents from `events` in turn for `seconds` of wall time, and returns documents per second of this
 * process's user+system CPU time (a loaded, shared machine slows the clock, not the figure) and the mean size.
 */
async function rate(events: { family: EventFamily; event: Record<string, unknown> }[]): Promise<{ perCpuSecond: number; bytes: number }> {
  let n = 0;
  let bytes = 0;
  const build = async (): Promise<void> => {
    const { family, event } = events[n % events.length] as (typeof events)[number];
    bytes += (await buildFor(family, event)).metadata.size;
    n++;
  };
  const warmUntil = Date.now() + 500;
  while (Date.now() < warmUntil) await build();
  n = 0;
  bytes = 0;
  const cpu = process.cpuUsage();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) await build();
  const used = process.cpuUsage(cpu);
  return { perCpuSecond: n / ((used.user + used.system) / 1e6), bytes: Math.round(bytes / n) };
}

function opensslReference(): string {
  try {
    const out = execSync('openssl speed -seconds 1 rsa2048 2>/dev/null', { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.startsWith('rsa 2048'));
    const fields = line?.trim().split(/\s+/) ?? [];
    return fields.length >= 7 ? `${fields[5]} sign/s, ${fields[6]} verify/s` : 'unavailable';
  } catch {
    return 'unavailable';
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
  // Figures taken while other processes compete for the cores are low: the load average says how much.
  console.log(`load average (1 min) at start: ${loadavg()[0]?.toFixed(2)}`);
  console.log(`openssl speed rsa2048 (one core): ${opensslReference()}`);
  console.log(`\ndocuments built per CPU second, one core (${seconds} s per type, 200 generated events each):`);
  await profiled(values.profile, async () => {
    for (const [i, [kind]] of types.entries()) {
      const r = await rate(generated(i));
      console.log(
        `  ${kind.padEnd(26)} ${r.perCpuSecond.toFixed(0).padStart(7)} docs/s  (${(1e6 / r.perCpuSecond).toFixed(0).padStart(5)} µs CPU/doc, ${r.bytes} bytes mean)`,
      );
    }
  });
  console.log(`load average (1 min) at end: ${loadavg()[0]?.toFixed(2)}`);
  if (values['no-xsd']) return;

  const dir = mkdtempSync(join(tmpdir(), 'cda-bench-'));
  try {
    const batch = 200;
    const files: string[] = [];
    for (let i = 0; i < batch; i++) {
      const [, topic, event] = types[i % types.length] as [string, EventFamily, Record<string, unknown>];
      const eventId = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
      const f = join(dir, `doc-${i}.xml`);
      writeFileSync(f, (await buildFor(topic, { ...event, eventId })).xml);
      files.push(f);
    }
    const xmllint = (args: string[]): void => {
      execFileSync('xmllint', ['--noout', '--schema', xsd, ...args], { stdio: 'ignore' });
    };
    const single = 20;
    let t = process.hrtime.bigint();
    for (let i = 0; i < single; i++) xmllint([files[i] as string]);
    const perProcess = Number(process.hrtime.bigint() - t) / 1e6 / single;
    t = process.hrtime.bigint();
    xmllint(files);
    const batchMs = Number(process.hrtime.bigint() - t) / 1e6;
    console.log('\nXSD validation (xmllint, CDA_extended.xsd):');
    console.log(`  one process per document: ${perProcess.toFixed(1)} ms/doc (schema parsed each time; mean of ${single})`);
    console.log(`  one process for ${batch} documents: ${batchMs.toFixed(0)} ms, ${(batchMs / batch).toFixed(2)} ms/doc`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
