/**
 * Validates CDA documents against the ANS CI-SIS kit: XSD, then every schematron layer that applies.
 *
 *   npx tsx packages/cisis-validator/src/cli.ts <file-or-dir>… [--kind vaccination-note|dispensation|medication-review|pharmaceutical-interview]
 *
 * Without --kind, each document's kind is recognised from its LOINC code. Prints per file and layer the number
 * of failed assertions and their texts; exits 1 when any document fails, 2 on a usage or setup error.
 * It prints assertion texts for the developer at the terminal: do not pipe it into shared logs.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ValidatorError } from './errors';
import { DOCUMENT_KINDS, detectKind, layersFor, type DocumentKind } from './layers';
import { validateCorpus, type DocumentGroup } from './validate';

function usage(message: string): never {
  console.error(message);
  console.error(`usage: cli.ts <file-or-dir>… [--kind ${DOCUMENT_KINDS.join('|')}] [--concurrency N]`);
  process.exit(2);
}

function parseArgs(argv: string[]): { paths: string[]; kind?: DocumentKind; concurrency?: number } {
  const paths: string[] = [];
  let kind: DocumentKind | undefined;
  let concurrency: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--kind') {
      const value = argv[++i];
      if (!DOCUMENT_KINDS.includes(value as DocumentKind)) usage(`--kind must be one of ${DOCUMENT_KINDS.join(', ')}`);
      kind = value as DocumentKind;
    } else if (arg === '--concurrency') {
      concurrency = Number(argv[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1) usage('--concurrency must be a positive integer');
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      paths.push(arg);
    }
  }
  if (paths.length === 0) usage('no file or directory given');
  return { paths, ...(kind ? { kind } : {}), ...(concurrency ? { concurrency } : {}) };
}

function expand(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      usage(`no such file or directory: ${p}`);
    }
    if (isDir) {
      files.push(
        ...readdirSync(abs)
          .filter((f) => f.toLowerCase().endsWith('.xml'))
          .sort()
          .map((f) => join(abs, f)),
      );
    } else {
      files.push(abs);
    }
  }
  return files;
}

async function main(): Promise<void> {
  const { paths, kind, concurrency } = parseArgs(process.argv.slice(2));
  const files = expand(paths);
  const byKind = new Map<DocumentKind, string[]>();
  for (const file of files) {
    const k = kind ?? detectKind(readFileSync(file, 'utf8'));
    if (!k) usage(`${relative(process.cwd(), file)}: kind not recognised from its code; pass --kind`);
    byKind.set(k, [...(byKind.get(k) ?? []), file]);
  }
  const groups: DocumentGroup[] = [...byKind].map(([k, fs]) => ({ files: fs, layers: layersFor(k) }));
  const report = await validateCorpus(groups, concurrency ? { concurrency } : {});

  let failing = 0;
  for (const [k, fs] of byKind) {
    const layerNames = ['XSD', ...layersFor(k).map((l) => l.name)];
    for (const file of fs) {
      const result = report.documents.get(file);
      if (!result) continue;
      const bad = result.xsd.length + result.failedAsserts.length > 0;
      if (bad) failing++;
      console.log(`${bad ? 'FAIL' : 'ok  '} ${relative(process.cwd(), file)} (${k})`);
      for (const name of layerNames) {
        const items =
          name === 'XSD'
            ? result.xsd
            : result.failedAsserts
                .filter((a) => a.layer === name)
                .map((a) => `${a.id !== a.test ? `[${a.id}] ` : ''}${a.text} @ ${a.location}`);
        console.log(`     ${name}: ${items.length}`);
        for (const item of items) console.log(`       - ${item}`);
      }
    }
  }
  console.log(
    `\n${files.length} document(s), ${failing} failing. XSD: ${report.xsd.seconds.toFixed(1)} s; ` +
      report.runs
        .map((r) => `${r.layer}: ${r.documents} doc(s), compile ${r.compileSeconds.toFixed(1)} s, run ${r.runSeconds.toFixed(1)} s`)
        .join('; '),
  );
  process.exit(failing > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  if (err instanceof ValidatorError) {
    console.error(`${err.code}: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(2);
});
