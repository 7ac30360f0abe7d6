/**
 * Runs IPF's ITI-41 request validation (ipf/IpfValidate.java) over request files, in one JVM. The jars come from
 * `bash test/dmp-simulator/ipf/fetch.sh` (part of `npm run fetch`); without them this throws: a test must never pass
 * because its validator did not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IpfVerdict {
  file: string;
  ok: boolean;
  /** IPF's error code and message when not ok */
  error?: string;
}

const DIR = join(__dirname, 'ipf');

export function runIpfValidator(files: readonly string[], timeoutMs = 100_000): IpfVerdict[] {
  if (!existsSync(join(DIR, '.cache', 'lib', '.complete'))) {
    throw new Error('IPF validator not fetched: run `bash test/dmp-simulator/ipf/fetch.sh` (or `npm run fetch`)');
  }
  const run = spawnSync('java', ['-cp', join(DIR, '.cache', 'lib', '*'), join(DIR, 'IpfValidate.java'), ...files], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error) throw new Error(`java could not be run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`IpfValidate exited with ${run.status}: ${run.stderr.slice(0, 2000)}`);
  return run.stdout
    .split('\n')
    .filter((line) => /^(OK|ERROR) /.test(line))
    .map((line) => {
      const [verdict, file, ...rest] = line.split(' ');
      return { file: file ?? '', ok: verdict === 'OK', ...(verdict === 'OK' ? {} : { error: rest.join(' ') }) };
    });
}

/**
 * IPF applies IHE's data-type rules (ITI TF-3 §4.2.3.1.7): an XON carries only XON.1 name, XON.6 assigning authority
 * and XON.10 identifier; a CX (patient ids, and authorSpecialty, which IPF reads as a CX `code^^^&OID&ISO`) only
 * CX.1 and CX.4. The CI-SIS, and the DMP's own TD2.1 sample, write these the national way: `IDNST` in XON.7 of
 * authorInstitution, `NH` (`PI` for a local id) in CX.5, authorSpecialty as `code^displayName^codeSystem`. Those three national
 * deviations are the findings we accept; since IPF stops at a request's first error, each request is also validated
 * with them rewritten the IHE way, and that copy must pass entirely.
 */
export const NATIONAL_DEVIATIONS = [
  'An organization should not specify data other than its ID and name',
  'Only the ID number and the assigning authority can be defined for a CX value',
];

export function withoutNationalTypes(file: string): string {
  const copy = file.replace(/\.xml$/, '.ihe-only.xml');
  const xml = readFileSync(file, 'utf8')
    .replace(/(&amp;1\.2\.250\.1\.71\.4\.2\.2&amp;ISO)\^IDNST\^/g, '$1^^')
    .replace(/(&amp;[0-9.]+&amp;ISO)\^(NH|PI)(\^\^[0-9]+)?/g, '$1')
    .replace(/(<Slot name="authorSpecialty">\s*<ValueList>\s*<Value>)([^^<]+)\^[^^<]*\^([0-9.]+)(<\/Value>)/g, '$1$2^^^&amp;$3&amp;ISO$4');
  writeFileSync(copy, xml);
  return copy;
}
export const isNationalDeviation = (error = ''): boolean => NATIONAL_DEVIATIONS.some((d) => error.includes(d));
