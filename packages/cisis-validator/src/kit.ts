import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidatorError } from './errors';

/** packages/cisis-validator: where the git-ignored cache lives. */
export const PACKAGE_DIR = resolve(__dirname, '..');
/** The repository root (this package sits at <root>/packages/cisis-validator). */
export const REPO_ROOT = resolve(PACKAGE_DIR, '..', '..');
/** Git-ignored working area: toolchain jars, kit copies, compiled schematrons. */
export const CACHE_DIR = join(PACKAGE_DIR, '.cache');

/** The ANS repository the kit comes from, and the commit REFERENCE §1 was measured on. */
export const KIT_REPOSITORY = 'https://github.com/ansforge/interop-outil-cda-testcontenucda3.0-outil-validation-documents-cda.git';
export const KIT_COMMIT = '61e148b6';

const XSD_RELATIVE = join('infrastructure', 'cda', 'CDA_extended.xsd');

function isKit(dir: string): boolean {
  return existsSync(join(dir, XSD_RELATIVE)) && existsSync(join(dir, 'schematrons'));
}

/** Finds the kit root (the folder holding infrastructure/ and schematrons/) inside a checkout. */
function findKitRoot(dir: string, depth: number): string | undefined {
  if (isKit(dir)) return dir;
  if (depth === 0) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.git') continue;
    const found = findKitRoot(join(dir, entry.name), depth - 1);
    if (found) return found;
  }
  return undefined;
}

const HOW_TO_PROVIDE =
  'Provide the ANS TestContenuCDA 3.0 kit (the folder holding infrastructure/cda/CDA_extended.xsd and schematrons/) ' +
  `and point the environment variable CISIS_DIR at it, or place it at <repo>/../shared/spec/cisis. ` +
  `It comes from ${KIT_REPOSITORY} at commit ${KIT_COMMIT}.`;

/**
 * Fetches the kit from ANS's public repository at the pinned commit into the cache.
 * Fails (with how to provide the kit instead) when git or the network is not there.
 */
function fetchKit(): string {
  const target = join(CACHE_DIR, `cisis-kit-${KIT_COMMIT}`);
  if (existsSync(target)) {
    const root = findKitRoot(target, 3);
    if (root) return root;
    rmSync(target, { recursive: true, force: true });
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    execFileSync('git', ['clone', '--quiet', '--no-checkout', KIT_REPOSITORY, partial], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    execFileSync('git', ['-C', partial, 'checkout', '--quiet', KIT_COMMIT], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ValidatorError(
      'CISIS_KIT_MISSING',
      `The CI-SIS validation kit is not on this machine and could not be fetched (${why}). ${HOW_TO_PROVIDE}`,
    );
  }
  renameSync(partial, target);
  const root = findKitRoot(target, 3);
  if (!root) {
    throw new ValidatorError('CISIS_KIT_MISSING', `The fetched repository holds no CI-SIS kit. ${HOW_TO_PROVIDE}`);
  }
  return root;
}

let resolvedKit: string | undefined;

/**
 * The CI-SIS kit directory: env `CISIS_DIR`, else `<repo>/../shared/spec/cisis`, else a copy fetched from
 * ANS's repository at the pinned commit. Throws `CISIS_KIT_MISSING` with instructions when none works.
 */
export function cisisDir(): string {
  if (resolvedKit) return resolvedKit;
  const fromEnv = process.env.CISIS_DIR;
  if (fromEnv) {
    const dir = resolve(fromEnv);
    if (!isKit(dir)) {
      throw new ValidatorError(
        'CISIS_KIT_MISSING',
        `CISIS_DIR=${dir} does not hold a CI-SIS kit (no ${XSD_RELATIVE} or schematrons/). ${HOW_TO_PROVIDE}`,
      );
    }
    resolvedKit = dir;
    return dir;
  }
  const shared = resolve(REPO_ROOT, '..', 'shared', 'spec', 'cisis');
  resolvedKit = isKit(shared) ? shared : fetchKit();
  return resolvedKit;
}

/** Path of the extended CDA schema inside the kit. */
export function cdaSchemaPath(): string {
  return join(cisisDir(), XSD_RELATIVE);
}

/** True when `path` exists and is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
