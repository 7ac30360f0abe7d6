// Runs the real ANS validators (xmllint, Saxon-HE + SchXslt): needs Java and the CI-SIS kit, not Kafka.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cisisDir } from './kit';
import { LAYERS, layersFor } from './layers';
import { validateCorpus, type ValidationReport } from './validate';

jest.setTimeout(15 * 60_000);

const BIRTHPLACE = /<birthplace>[\s\S]*?<\/birthplace>/;
const VAC_NOTE_MODEL = /<templateId root="1\.2\.250\.1\.213\.1\.1\.1\.46" extension="2023\.01"\s*\/>/;
const CONFIDENTIALITY = /\s*<confidentialityCode\b[^>]*\/>/;

let work: string;
let files: Record<'vacNote' | 'dispensation' | 'brokenVacNote' | 'outOfOrder', string>;
let report: ValidationReport;

beforeAll(async () => {
  const examples = join(cisisDir(), 'ExemplesCDA');
  work = mkdtempSync(join(tmpdir(), 'cisis-validator-test-'));
  const vacNote = readFileSync(join(examples, 'VAC-NOTE_2023.01.xml'), 'utf8');
  // The mutations must apply, or the "broken" copies would be the example itself.
  expect(vacNote).toMatch(BIRTHPLACE);
  expect(vacNote).toMatch(VAC_NOTE_MODEL);
  expect(vacNote).toMatch(CONFIDENTIALITY);
  const confidentiality = CONFIDENTIALITY.exec(vacNote)?.[0].trim() ?? '';
  files = {
    vacNote: join(work, 'vac-note.xml'),
    dispensation: join(work, 'edisp-med.xml'),
    brokenVacNote: join(work, 'vac-note-no-birthplace-wrong-model.xml'),
    outOfOrder: join(work, 'vac-note-out-of-order.xml'),
  };
  writeFileSync(files.vacNote, vacNote);
  writeFileSync(files.dispensation, readFileSync(join(examples, 'eDISP-MED_2024.01.xml')));
  writeFileSync(
    files.brokenVacNote,
    vacNote.replace(BIRTHPLACE, '').replace(VAC_NOTE_MODEL, '<templateId root="1.2.250.1.213.1.1.1.999" extension="2023.01"/>'),
  );
  // confidentialityCode moved after title: the CDA schema's sequence forbids it.
  writeFileSync(files.outOfOrder, vacNote.replace(CONFIDENTIALITY, '').replace('<title>', `${confidentiality}\n  <title>`));

  report = await validateCorpus([
    { files: [files.vacNote, files.brokenVacNote], layers: layersFor('vaccination-note') },
    { files: [files.dispensation], layers: layersFor('dispensation') },
    // XSD only: the point is that xmllint catches it.
    { files: [files.outOfOrder], layers: [] },
  ]);
  process.stderr.write(
    [
      `XSD: ${report.xsd.documents} documents in ${report.xsd.seconds.toFixed(1)} s`,
      ...report.runs.map(
        (r) => `${r.layer}: ${r.documents} documents, compile ${r.compileSeconds.toFixed(1)} s, run ${r.runSeconds.toFixed(1)} s`,
      ),
    ].join('\n') + '\n',
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function result(file: string) {
  const r = report.documents.get(file);
  if (!r) throw new Error(`no result for ${file}`);
  return r;
}

function layerFailures(file: string, layer: string) {
  return result(file).failedAsserts.filter((a) => a.layer === layer);
}

describe('official ANS examples', () => {
  it('VAC-NOTE_2023.01.xml passes the XSD and every vaccination-note layer', () => {
    expect(result(files.vacNote).xsd).toEqual([]);
    expect(result(files.vacNote).failedAsserts).toEqual([]);
  });

  it('eDISP-MED_2024.01.xml passes the XSD and every dispensation layer', () => {
    expect(result(files.dispensation).xsd).toEqual([]);
    expect(result(files.dispensation).failedAsserts).toEqual([]);
  });

  it('the passes are not vacuous: the header layers fired rules on each example', () => {
    for (const [file, kind] of [
      [files.vacNote, 'vaccination-note'],
      [files.dispensation, 'dispensation'],
    ] as const) {
      for (const layer of layersFor(kind).filter((l) => l.firesOnEveryDocument)) {
        expect({ layer: layer.name, fired: (result(file).firedRules[layer.name] ?? 0) > 0 }).toEqual({ layer: layer.name, fired: true });
      }
    }
    // IHE content-module rules fire on these structured documents too.
    expect(result(files.vacNote).firedRules[LAYERS.ihe.name]).toBeGreaterThan(0);
    expect(result(files.dispensation).firedRules[LAYERS.ihe.name]).toBeGreaterThan(0);
  });

  it('each applicable layer ran once over the documents that need it', () => {
    const byLayer = new Map(report.runs.map((r) => [r.layer, r.documents]));
    expect(byLayer.get(LAYERS.structurationMinimale.name)).toBe(3);
    expect(byLayer.get(LAYERS.ihe.name)).toBe(3);
    expect(byLayer.get(LAYERS.vaccinationNote.name)).toBe(2);
    expect(byLayer.get(LAYERS.dispensation.name)).toBe(1);
    expect(report.xsd.documents).toBe(4);
  });
});

describe('broken documents are caught', () => {
  it('a VAC-NOTE without birthplace fails the header rules on the INS traits', () => {
    const failures = layerFailures(files.brokenVacNote, LAYERS.structurationMinimale.name);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.some((a) => a.test.includes('birthplace'))).toBe(true);
  });

  it('a VAC-NOTE with another model templateId fails the VAC-NOTE rules', () => {
    const failures = layerFailures(files.brokenVacNote, LAYERS.vaccinationNote.name);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.some((a) => a.test.includes('1.2.250.1.213.1.1.1.46'))).toBe(true);
  });

  it('is still XSD-valid (the schematrons, not the schema, caught it)', () => {
    expect(result(files.brokenVacNote).xsd).toEqual([]);
  });

  it('an element out of order fails xmllint against CDA_extended.xsd', () => {
    const errors = result(files.outOfOrder).xsd;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/confidentialityCode.*not expected/);
  });
});
