import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';

/** The Debian package of each external tool the tests run. */
const PACKAGES = { xmllint: 'libxml2-utils', xmlsec1: 'xmlsec1', unzip: 'unzip', qpdf: 'qpdf', pdftotext: 'poppler-utils' } as const;

/**
 * Runs an external tool a test checks its results with, and returns its exit status and output (a non-zero status is
 * for the caller to read). A tool that cannot be run throws, naming the package to install: a test must never pass
 * because its validator did not run.
 */
export function runTool(
  tool: keyof typeof PACKAGES,
  args: string[],
  options: Partial<SpawnSyncOptionsWithStringEncoding> = {},
): SpawnSyncReturns<string> & { status: number } {
  const run = spawnSync(tool, args, { maxBuffer: 64 * 1024 * 1024, ...options, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${tool} not found: apt-get install ${PACKAGES[tool]}`);
  }
  if (run.error) throw new Error(`${tool} could not be run: ${run.error.message}`);
  if (run.status === null) throw new Error(`${tool} was killed by ${run.signal}`);
  return run as SpawnSyncReturns<string> & { status: number };
}
