import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ValidatorError } from './errors';
import { cdaSchemaPath } from './kit';

// xmllint takes many files per call; batches keep the command line well under the OS limit.
const FILES_PER_CALL = 400;

/**
 * Validates CDA documents against the kit's `infrastructure/cda/CDA_extended.xsd` with xmllint
 * (Debian package libxml2-utils), in as few processes as possible.
 *
 * @param files paths of the documents
 * @returns for each file (as resolved absolute path), xmllint's error lines; empty when the file validates
 */
export function validateXsd(files: readonly string[]): Map<string, string[]> {
  const schema = cdaSchemaPath();
  const results = new Map<string, string[]>();
  const absolute = files.map((f) => resolve(f));
  for (let i = 0; i < absolute.length; i += FILES_PER_CALL) {
    const batch = absolute.slice(i, i + FILES_PER_CALL);
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, ...batch], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.error) {
      throw new ValidatorError(
        'XMLLINT_FAILED',
        `xmllint could not be run (${run.error.message}); install the Debian package libxml2-utils`,
      );
    }
    // Exit codes: 0 all valid, 3/4 some invalid or unparsable, 5 the schema itself failed to compile.
    if (run.status === 5) {
      throw new ValidatorError('XMLLINT_FAILED', `xmllint could not compile the schema ${schema}`);
    }
    for (const [file, errors] of parseXmllintOutput(batch, run.stderr)) results.set(file, errors);
  }
  return results;
}

/**
 * Splits xmllint's combined output into per-file errors. Each file ends with a verdict line
 * (`<file> validates` or `<file> fails to validate`); any other line is attached to the file it names,
 * or to the last named file (parser errors print context lines).
 */
export function parseXmllintOutput(files: readonly string[], output: string): Map<string, string[]> {
  const errors = new Map<string, string[]>(files.map((f) => [f, []]));
  const verdict = new Map<string, boolean>();
  // Longest names first so that a path that prefixes another never steals its lines.
  const byLength = [...files].sort((a, b) => b.length - a.length);
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const file = byLength.find((f) => line.startsWith(f));
    if (file !== undefined) {
      current = file;
      const rest = line.slice(file.length);
      if (rest === ' validates') {
        verdict.set(file, true);
        continue;
      }
      if (rest === ' fails to validate') {
        verdict.set(file, false);
        continue;
      }
    }
    if (current !== undefined) errors.get(current)?.push(line);
  }
  for (const file of files) {
    const list = errors.get(file) ?? [];
    const ok = verdict.get(file);
    if (ok === undefined && list.length === 0) list.push('xmllint gave no verdict for this file');
    if (ok === false && list.length === 0) list.push('xmllint: fails to validate');
    if (ok === true && list.length > 0) {
      // Warnings only (e.g. unresolved entity notes): the schema verdict is what counts.
      errors.set(file, []);
      continue;
    }
    errors.set(file, list);
  }
  return errors;
}
