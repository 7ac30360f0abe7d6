import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { LAYERS, type SchematronLayer } from './layers';
import { runLayer, type FailedAssertion } from './schematron';
import { validateXsd } from './xsd';

/** Everything found wrong with one document. */
export interface DocumentResult {
  /** xmllint's errors against CDA_extended.xsd (empty: valid). */
  xsd: string[];
  /** Failed assertions of every layer run on it (empty: conformant). */
  failedAsserts: FailedAssertion[];
  /** Per layer run on it, how many rules fired (0 means the layer saw nothing it knows: a vacuous pass). */
  firedRules: Record<string, number>;
}

/** A set of documents and the layers to run on each of them. */
export interface DocumentGroup {
  files: readonly string[];
  layers: readonly SchematronLayer[];
}

/** Figures of one layer run: how many documents one JVM validated, and how long it took. */
export interface LayerRunSummary {
  layer: string;
  documents: number;
  compileSeconds: number;
  runSeconds: number;
  failedAsserts: number;
}

/** The outcome of a validation run. */
export interface ValidationReport {
  /** Per document (absolute path). */
  documents: Map<string, DocumentResult>;
  runs: LayerRunSummary[];
  xsd: { documents: number; seconds: number };
}

export interface ValidateOptions {
  /** JVMs run at once (default: the number of cores). Each takes up to 2 GB of heap. */
  concurrency?: number;
  /** Skip the XSD step (default false). */
  skipXsd?: boolean;
}

// The header schematron is by far the slowest: start it first so that the others fill the other cores.
const COST_ORDER: readonly string[] = [LAYERS.structurationMinimale.name, LAYERS.ihe.name];

/**
 * Validates groups of documents: XSD for every document (xmllint, batched), then each schematron layer ONCE over
 * all the documents that need it (one JVM per layer, a whole directory per call; documents are staged as
 * symlinks in a temporary directory).
 */
export async function validateCorpus(groups: readonly DocumentGroup[], options: ValidateOptions = {}): Promise<ValidationReport> {
  const documents = new Map<string, DocumentResult>();
  const layerFiles = new Map<string, { layer: SchematronLayer; files: Set<string> }>();
  for (const group of groups) {
    for (const file of group.files.map((f) => resolve(f))) {
      if (!documents.has(file)) documents.set(file, { xsd: [], failedAsserts: [], firedRules: {} });
      for (const layer of group.layers) {
        const entry = layerFiles.get(layer.schematron) ?? { layer, files: new Set<string>() };
        entry.files.add(file);
        layerFiles.set(layer.schematron, entry);
      }
    }
  }

  let xsd = { documents: 0, seconds: 0 };
  if (!options.skipXsd && documents.size > 0) {
    const started = process.hrtime.bigint();
    for (const [file, errors] of validateXsd([...documents.keys()])) {
      const doc = documents.get(file);
      if (doc) doc.xsd = errors;
    }
    xsd = { documents: documents.size, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  }

  const staging = mkdtempSync(join(tmpdir(), 'cisis-validate-'));
  try {
    const jobs = [...layerFiles.values()].sort((a, b) => rank(a.layer.name) - rank(b.layer.name) || b.files.size - a.files.size);
    const runs: LayerRunSummary[] = [];
    const worker = async (): Promise<void> => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const dir = join(staging, job.layer.name);
        const names = stage(dir, [...job.files]);
        const run = await runLayer(job.layer, dir, [...names.keys()]);
        let failed = 0;
        for (const [name, findings] of run.results) {
          const doc = documents.get(names.get(name) ?? '');
          if (!doc) continue;
          doc.firedRules[job.layer.name] = findings?.firedRules ?? 0;
          if (findings === undefined) {
            failed++;
            doc.failedAsserts.push({
              layer: job.layer.name,
              id: 'no-report',
              test: '',
              location: '',
              text: `Saxon produced no SVRL report for this document: ${firstLines(run.diagnostics)}`,
            });
          } else {
            failed += findings.failedAsserts.length;
            doc.failedAsserts.push(...findings.failedAsserts);
          }
        }
        runs.push({
          layer: run.layer,
          documents: run.documents,
          compileSeconds: run.compileSeconds,
          runSeconds: run.runSeconds,
          failedAsserts: failed,
        });
      }
    };
    const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    return { documents, runs, xsd };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function rank(layerName: string): number {
  const i = COST_ORDER.indexOf(layerName);
  return i === -1 ? COST_ORDER.length : i;
}

function firstLines(text: string): string {
  return text.split('\n').slice(0, 3).join(' ').trim() || 'no diagnostic';
}

/** Symlinks each file into `dir` under a unique name; returns staged name → original path. */
function stage(dir: string, files: string[]): Map<string, string> {
  const names = new Map<string, string>();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  files.forEach((file, i) => {
    const name = `${String(i).padStart(5, '0')}-${basename(file).replace(/\.xml$/i, '')}.xml`;
    symlinkSync(file, join(dir, name));
    names.set(name, file);
  });
  return names;
}

/**
 * Validates every `*.xml` document of a directory against the XSD and the given schematron layers.
 *
 * @returns per document (absolute path) its XSD errors and failed assertions
 */
export async function validateDocuments(
  dir: string,
  layers: readonly SchematronLayer[],
  options: ValidateOptions = {},
): Promise<Map<string, DocumentResult>> {
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.xml'))
    .sort()
    .map((f) => join(dir, f));
  return (await validateCorpus([{ files, layers }], options)).documents;
}
