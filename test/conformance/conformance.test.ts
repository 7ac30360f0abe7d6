/**
 * Conformance of the generated documents to the ANS CI-SIS kit (issue 3, item 4).
 *
 * For each of the four document types, builds documents from generated events (qualified INS of every kind,
 * hostile names, optional fields present and absent), writes them to a temporary <dir>/<type>/, then runs
 * the XSD (xmllint) over all of them and every applicable schematron layer ONCE over the documents that need it
 * (one JVM per layer), and requires zero XSD errors and zero failed assertions.
 *
 * Needs Java, Maven (first run, to fetch Saxon-HE/SchXslt) and xmllint; not Kafka.
 * CONFORMANCE_DOCS (documents per type, default 100) and CONFORMANCE_SEED (default 20251122) change the sample.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildDocument } from '@passerelle/cda';
import { DOCUMENT_KINDS, layersFor, validateCorpus, type DocumentKind, type ValidationReport } from '@passerelle/cisis-validator';
import { assertPatientIdentity } from '@passerelle/ins';
import { avroType, topicSchemas } from '@passerelle/schemas';
import { EVENT_SHAPES, generateEvents, type EventShape } from '../generators/events';

jest.setTimeout(20 * 60_000);

const DOCS_PER_TYPE = Number(process.env.CONFORMANCE_DOCS ?? 100);
const SEED = Number(process.env.CONFORMANCE_SEED ?? 20251122);
// A directory of its own per run (several people may run the suite at once); kept when something fails.
const OUT_DIR = mkdtempSync(join(tmpdir(), 'passerelle-conformance-'));

const SHAPE_OF: Record<DocumentKind, EventShape> = {
  'vaccination-note': EVENT_SHAPES[0],
  dispensation: EVENT_SHAPES[1],
  'medication-review': EVENT_SHAPES[2],
  'pharmaceutical-interview': EVENT_SHAPES[3],
};

const files = new Map<DocumentKind, string[]>();
let report: ValidationReport;

beforeAll(async () => {
  for (const [k, kind] of DOCUMENT_KINDS.entries()) {
    const dir = join(OUT_DIR, kind);
    mkdirSync(dir, { recursive: true });
    const events = generateEvents(DOCS_PER_TYPE, SEED + k, [SHAPE_OF[kind]]);
    const written: string[] = [];
    for (const [i, { topic, event }] of events.entries()) {
      // The generator's promises, checked here so that a failure below is the builder's, not the input's.
      expect(avroType(topic).isValid(event)).toBe(true);
      const identity = assertPatientIdentity(event.patient, { testPlatform: false });
      const built = await buildDocument(topicSchemas[topic].family, event as never, identity);
      expect(built.kind).toBe(kind);
      const file = join(dir, `${kind}-${String(i).padStart(3, '0')}.xml`);
      writeFileSync(file, built.xml);
      written.push(file);
    }
    files.set(kind, written);
  }

  report = await validateCorpus(DOCUMENT_KINDS.map((kind) => ({ files: files.get(kind) ?? [], layers: layersFor(kind) })));

  const lines = [`CI-SIS conformance: ${DOCS_PER_TYPE} documents per type, seed ${SEED}, in ${OUT_DIR}`];
  lines.push(`  XSD (xmllint): ${report.xsd.documents} documents in ${report.xsd.seconds.toFixed(1)} s`);
  for (const run of report.runs) {
    const fired = [...report.documents.values()].reduce((n, d) => n + (d.firedRules[run.layer] ?? 0), 0);
    lines.push(
      `  ${run.layer}: ${run.documents} documents, ${fired} rules fired, ${run.failedAsserts} failed assertions ` +
        `(compile ${run.compileSeconds.toFixed(1)} s, run ${run.runSeconds.toFixed(1)} s)`,
    );
  }
  for (const kind of DOCUMENT_KINDS) {
    const docs = (files.get(kind) ?? []).map((f) => report.documents.get(f));
    const failing = docs.filter((d) => !d || d.xsd.length + d.failedAsserts.length > 0).length;
    lines.push(
      `  ${kind}: ${docs.length} documents validated against XSD + ${layersFor(kind)
        .map((l) => l.name)
        .join(', ')}; ${failing} failing`,
    );
  }
  // Straight to stderr: the figures without Jest's console frame around them.
  process.stderr.write(`${lines.join('\n')}\n`);
});

afterAll(() => {
  const failing = [...(report?.documents.values() ?? [])].some((d) => d.xsd.length + d.failedAsserts.length > 0);
  if (report && !failing) rmSync(OUT_DIR, { recursive: true, force: true });
  else process.stderr.write(`Documents kept for inspection in ${OUT_DIR}\n`);
});

/** Failures of one type grouped by rule: how many documents break it, and one example file. */
function failureSummary(kind: DocumentKind): string[] {
  const byRule = new Map<string, { documents: number; example: string }>();
  for (const file of files.get(kind) ?? []) {
    const result = report.documents.get(file);
    const rules = new Set<string>();
    if (!result) rules.add('no result');
    for (const error of result?.xsd ?? []) rules.add(`XSD: ${error.replace(/^[^:]*:\d+: /, '')}`);
    for (const a of result?.failedAsserts ?? []) rules.add(`${a.layer}: ${a.text} [${a.test.slice(0, 200)}] @ ${a.location}`);
    // A header layer none of whose rules fired saw nothing it knows (wrong namespace or root): not a pass.
    for (const layer of layersFor(kind).filter((l) => l.firesOnEveryDocument)) {
      if ((result?.firedRules[layer.name] ?? 0) === 0) rules.add(`${layer.name}: no rule fired`);
    }
    for (const rule of rules) {
      const entry = byRule.get(rule) ?? { documents: 0, example: relative(OUT_DIR, file) };
      entry.documents++;
      byRule.set(rule, entry);
    }
  }
  return [...byRule].map(([rule, { documents, example }]) => `${documents}× ${rule} (e.g. ${example})`);
}

describe.each(DOCUMENT_KINDS)('%s documents', (kind) => {
  it(`were all built and validated (${DOCS_PER_TYPE})`, () => {
    const built = files.get(kind) ?? [];
    expect(built).toHaveLength(DOCS_PER_TYPE);
    for (const file of built) expect(report.documents.has(file)).toBe(true);
    // Every applicable layer ran over every document of this type.
    for (const layer of layersFor(kind)) {
      const run = report.runs.find((r) => r.layer === layer.name);
      expect(run?.documents ?? 0).toBeGreaterThanOrEqual(built.length);
    }
  });

  it('pass the CDA schema and every applicable schematron layer with zero failed assertions', () => {
    expect(failureSummary(kind)).toEqual([]);
  });
});
