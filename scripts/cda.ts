/**
 * Shows what an LGO event becomes: `npx tsx scripts/cda.ts <event.json> [--metadata]`.
 * Prints the CDA document (or, with --metadata, its XDS metadata as JSON). The topic is inferred from the event's
 * body field: `vaccination`, `dispensation` or `review`. The identity is checked first, as the composer does
 * (test and demo INS OIDs are accepted here, since this is a developer's tool; set CDA_PRODUCTION=1 to refuse them).
 */
import { readFileSync } from 'node:fs';
import { buildDocument } from '@passerelle/cda';
import { checkPatientIdentity } from '@passerelle/ins';
import { FAMILIES, familiesOfEvent } from '@passerelle/schemas';

function fail(message: string): never {
  process.stderr.write(`cda: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const metadata = args.includes('--metadata');
  const files = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--metadata');
  if (files.length !== 1 || unknown.length > 0) fail('usage: cda <event.json> [--metadata]');
  const file = files[0] as string;

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    fail(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) fail(`${file} must hold one event object`);
  const record = event as Record<string, unknown>;
  const matches = familiesOfEvent(record).filter((f) => record[f.bodyField] !== null);
  if (matches.length !== 1 || !matches[0]) {
    fail(`${file}: the event must have exactly one of the fields ${FAMILIES.map((f) => f.bodyField).join(', ')}`);
  }
  const { family, topic } = matches[0];
  const patient = record.patient as Parameters<typeof checkPatientIdentity>[0] | undefined;
  if (!patient || typeof patient !== 'object') fail(`${file}: the event has no patient`);
  const identity = checkPatientIdentity(patient, { testPlatform: process.env.CDA_PRODUCTION !== '1' });
  if (!identity.ok) fail(`${file}: identity refused: ${identity.error.message}`);

  let built;
  try {
    built = await buildDocument(family, event as never, identity.identity);
  } catch (err) {
    fail(`${file}: cannot build the document (is it an event of ${topic}?): ${(err as Error).message}`);
  }
  process.stdout.write(metadata ? `${JSON.stringify(built.metadata, null, 2)}\n` : built.xml);
}

void main();
