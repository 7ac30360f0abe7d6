import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidatorError } from './errors';
import { CACHE_DIR, PACKAGE_DIR } from './kit';

/** Where Saxon-HE and SchXslt are, as fetched by scripts/fetch-toolchain.sh. */
export interface Toolchain {
  /** Java classpath holding Saxon-HE and its resolver. */
  classpath: string;
  /** SchXslt's one-pass pipeline (include → expand → compile to XSLT producing SVRL), XSLT 2 flavour. */
  compilerXsl: string;
  /** Changes whenever the fetched versions change: part of every compiled schematron's cache key. */
  version: string;
}

let cached: Toolchain | undefined;

/**
 * Returns the Schematron toolchain, fetching it from Maven Central on first use
 * (idempotent; no network once fetched).
 */
export function toolchain(): Toolchain {
  if (cached) return cached;
  const script = join(PACKAGE_DIR, 'scripts', 'fetch-toolchain.sh');
  try {
    execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    throw new ValidatorError(
      'TOOLCHAIN_MISSING',
      `Saxon-HE/SchXslt could not be fetched (${why}); run scripts/fetch-validators.sh with Maven and Java installed`,
    );
  }
  const lib = join(CACHE_DIR, 'lib');
  const jars = readdirSync(lib).filter((f) => f.endsWith('.jar') && !f.startsWith('schxslt'));
  const compilerXsl = join(CACHE_DIR, 'schxslt', 'xslt', '2.0', 'pipeline-for-svrl.xsl');
  if (!jars.some((j) => j.startsWith('Saxon-HE')) || !existsSync(compilerXsl)) {
    throw new ValidatorError('TOOLCHAIN_MISSING', `Saxon-HE or SchXslt is missing from ${CACHE_DIR}`);
  }
  cached = {
    classpath: jars.map((j) => join(lib, j)).join(':'),
    compilerXsl,
    version: readFileSync(join(CACHE_DIR, 'toolchain.stamp'), 'utf8').trim(),
  };
  return cached;
}

/** JVM arguments shared by every Saxon run: the header schematron compiles to ~13 MB and needs the heap. */
export function saxonArgs(tools: Toolchain, args: readonly string[]): string[] {
  return ['-Xmx2g', '-Xss8m', '-cp', tools.classpath, 'net.sf.saxon.Transform', ...args];
}
