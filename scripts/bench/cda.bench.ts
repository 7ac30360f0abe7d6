/**
 * Document building and XSD validation costs: `npx tsx scripts/bench/cda.bench.ts [--seconds N]`.
 * - documents built per second for each type, on one core (this process is single-threaded);
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
import type { EventFamily, Patient } from '@passerelle/schemas';

const USAGE = `usage: npx tsx scripts/bench/cda.bench.ts [--seconds 3]
Documents built per second for each type on one core, and the cost of an XSD validation with xmllint.`;
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h', default: false } },
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
/** The composer checks the identity once per document: so does the benchmark. */
const buildFor = (family: EventFamily, event: Record<string, unknown>) =>
  buildDocument(family, event as never, assertPatientIdentity(event.patient as Patient, { testPlatform: true }));

/** Builds documents for `seconds`, each from a distinct event id, and returns documents per second. */
async function rate(topic: EventFamily, event: Record<string, unknown>): Promise<{ perSecond: number; bytes: number }> {
  let n = 0;
  let bytes = 0;
  const build = async (): Promise<void> => {
    const eventId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    bytes = (await buildFor(topic, { ...event, eventId })).metadata.size;
    n++;
  };
  const warmUntil = Date.now() + 500;
  while (Date.now() < warmUntil) await build();
  n = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) await build();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: n / elapsed, bytes };
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
  console.log(`\ndocuments built per second, one core (${seconds} s per type):`);
  for (const [kind, topic, event] of types) {
    const r = await rate(topic, event);
    console.log(
      `  ${kind.padEnd(26)} ${r.perSecond.toFixed(0).padStart(7)} docs/s  (${(1000 / r.perSecond).toFixed(3)} ms/doc, ${r.bytes} bytes)`,
    );
  }

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
