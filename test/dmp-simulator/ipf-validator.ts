/**
 * Runs IPF's ITI-41 request validation (ipf/IpfValidate.java) over request files, in one JVM. The jars come from
 * `bash test/dmp-simulator/ipf/fetch.sh` (part of `npm run fetch`); without them this throws: a test must never pass
 * because its validator did not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
