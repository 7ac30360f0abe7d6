import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { ValidatorError } from './errors';
import { CACHE_DIR, cisisDir, isDirectory } from './kit';
import type { SchematronLayer } from './layers';
import { saxonArgs, toolchain } from './toolchain';

const execFileAsync = promisify(execFile);

/** One failed rule in one document, from the SVRL report. */
export interface FailedAssertion {
  /** Layer name (e.g. `StructurationMinimale`). */
  layer: string;
  /** The assert's id when it has one, else its XPath test. */
  id: string;
  test: string;
  /** `error`, `warning`… as the schematron declares (absent when it declares none). */
  role?: string;
  /** XPath of the node the rule fired on, with the CDA namespace shortened to `cda:`. */
  location: string;
  /** The assertion's message, whitespace-normalised. */
  text: string;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const INCLUDE = /<(?:[\w-]+:)?(?:include|extends)\b[^>]*?\bhref\s*=\s*"([^"]+)"/g;

/** Hash of a .sch and everything it includes (transitively): the compiled XSLT depends on all of them. */
export function schematronHash(schPath: string): string {
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file);
    hash
      .update(file.slice(dirname(schPath).length))
      .update('\0')
      .update(text)
      .update('\0');
    for (const m of text.toString('utf8').matchAll(INCLUDE)) {
      const href = m[1];
      if (href === undefined || /^[a-z]+:/i.test(href)) continue;
      const target = resolve(dirname(file), href.split('#')[0] ?? href);
      if (existsSync(target)) visit(target);
    }
  };
  visit(schPath);
  return hash.digest('hex');
}

let kitTree: string | undefined;

/**
 * A copy of the kit made of symlinks, in the cache: compiled schematrons are written beside their .sch there,
 * so that the value sets they read through relative `document()` paths resolve, without writing into the kit.
 */
export function kitTreeDir(): string {
  if (kitTree) return kitTree;
  const kit = cisisDir();
  const dir = join(CACHE_DIR, 'kits', sha256(kit).slice(0, 16));
  const marker = join(dir, '.passerelle-kit-tree');
  if (!existsSync(marker)) {
    mkdirSync(dirname(dir), { recursive: true });
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    // Directories are real, files are symlinks into the kit (as GNU cp -rs makes).
    symlinkTree(kit, partial);
    aliasMiscasedIncludes(partial);
    writeFileSync(join(partial, '.passerelle-kit-tree'), kit);
    try {
      renameSync(partial, dir);
    } catch {
      // Another process made it first.
      rmSync(partial, { recursive: true, force: true });
    }
  }
  kitTree = dir;
  return dir;
}

function symlinkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) symlinkTree(source, target);
    else symlinkSync(source, target);
  }
}

/**
 * The kit is authored on a case-insensitive file system: some includes name a file with another letter case
 * (e.g. IHE.sch includes E_directiveAnticipee_int.sch, the file is E_directiveanticipee_int.sch). In the
 * symlink tree, such a name gets one more symlink to the file whose name differs only by case.
 */
function aliasMiscasedIncludes(tree: string): void {
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.sch')) {
        for (const m of readFileSync(path, 'utf8').matchAll(INCLUDE)) {
          const href = m[1];
          if (href === undefined || /^[a-z]+:/i.test(href)) continue;
          const target = resolve(dirname(path), href.split('#')[0] ?? href);
          if (!existsSync(target)) aliasByCase(target);
        }
      }
    }
  };
  walk(tree);
}

function aliasByCase(target: string): void {
  const dir = dirname(target);
  if (!isDirectory(dir)) return;
  const wanted = basename(target).toLowerCase();
  const match = readdirSync(dir).find((f) => f.toLowerCase() === wanted);
  if (match !== undefined) symlinkSync(readlinkSync(join(dir, match)), target);
}

/** Timing of one compilation, for reports. */
export interface CompiledLayer {
  layer: SchematronLayer;
  xsl: string;
  /** Seconds spent compiling now; 0 when the compiled XSLT came from the cache. */
  compileSeconds: number;
}

/**
 * Compiles a schematron layer to XSLT with SchXslt (include → expand → compile, XSLT 2), once: the result is
 * cached beside the .sch in the kit tree, keyed by the hash of the .sch, its includes and the toolchain.
 */
export async function compileLayer(layer: SchematronLayer): Promise<CompiledLayer> {
  const tools = toolchain();
  const tree = kitTreeDir();
  const sch = join(tree, layer.schematron);
  if (!existsSync(sch)) {
    throw new ValidatorError('CISIS_KIT_MISSING', `The kit has no schematron ${layer.schematron}`);
  }
  const key = sha256(`${schematronHash(sch)}:${tools.version}`).slice(0, 16);
  const xsl = join(dirname(sch), `${basename(sch, '.sch')}.${key}.compiled.xsl`);
  if (existsSync(xsl)) return { layer, xsl, compileSeconds: 0 };
  const partial = `${xsl}.partial-${process.pid}`;
  const started = process.hrtime.bigint();
  try {
    await execFileAsync('java', saxonArgs(tools, [`-s:${sch}`, `-xsl:${tools.compilerXsl}`, `-o:${partial}`]), {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    rmSync(partial, { force: true });
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new ValidatorError(
      'SCHEMATRON_COMPILE_FAILED',
      `Compiling ${layer.schematron} failed: ${stderr.split('\n').slice(0, 5).join(' ')}`,
    );
  }
  renameSync(partial, xsl);
  return { layer, xsl, compileSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** What a layer's SVRL report says about one document. */
export interface SvrlFindings {
  failedAsserts: FailedAssertion[];
  /**
   * How many rules fired: a document on which no rule fires (wrong namespace, wrong root) would pass every
   * assertion vacuously, so callers check this is not zero.
   */
  firedRules: number;
}

/** Counts `svrl:fired-rule` elements (any prefix bound to the SVRL namespace is written `svrl:` by SchXslt). */
export function countFiredRules(svrl: string): number {
  return svrl.match(/<svrl:fired-rule\b/g)?.length ?? 0;
}

/** What one run of one layer over a directory gave. */
export interface LayerRun {
  layer: string;
  documents: number;
  compileSeconds: number;
  runSeconds: number;
  /** Per input file name (in the run directory): the SVRL findings, or undefined when no SVRL came out. */
  results: Map<string, SvrlFindings | undefined>;
  /** Saxon's stderr when some documents produced no report (so the caller can say why). */
  diagnostics: string;
}

/**
 * Runs one compiled layer over every file of `inputDir` in a single JVM (Saxon transforms a whole directory
 * in one call) and parses the SVRL reports.
 */
export async function runLayer(layer: SchematronLayer, inputDir: string, fileNames: readonly string[]): Promise<LayerRun> {
  const compiled = await compileLayer(layer);
  const tools = toolchain();
  const outDir = `${inputDir}.svrl-${layer.name}`;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const started = process.hrtime.bigint();
  const { code, stderr } = await runJava(saxonArgs(tools, [`-s:${inputDir}`, `-xsl:${compiled.xsl}`, `-o:${outDir}`]));
  const runSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const results = new Map<string, SvrlFindings | undefined>();
  let produced = 0;
  for (const name of fileNames) {
    const svrl = join(outDir, name);
    if (existsSync(svrl)) {
      produced++;
      const text = readFileSync(svrl, 'utf8');
      results.set(name, { failedAsserts: parseSvrl(text, layer.name), firedRules: countFiredRules(text) });
    } else {
      results.set(name, undefined);
    }
  }
  if (produced === 0 && fileNames.length > 0) {
    throw new ValidatorError(
      'SCHEMATRON_RUN_FAILED',
      `Saxon produced no report for ${layer.schematron} (exit ${code}): ${stderr.split('\n').slice(0, 5).join(' ')}`,
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  return {
    layer: layer.name,
    documents: fileNames.length,
    compileSeconds: compiled.compileSeconds,
    runSeconds,
    results,
    diagnostics: produced < fileNames.length ? stderr : '',
  };
}

function runJava(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Keep the head: Saxon's first lines say what went wrong; a flood of warnings is not useful.
      if (stderr.length < 1_000_000) stderr += chunk;
    });
    child.on('error', (err) => reject(new ValidatorError('SCHEMATRON_RUN_FAILED', `java could not be started (${err.message})`)));
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

const svrlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  isArray: (name) => name === 'failed-assert' || name === 'successful-report' || name === 'text',
  trimValues: false,
});

function textOf(node: unknown): string {
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join(' ');
  if (node && typeof node === 'object') {
    return Object.entries(node)
      .filter(([k]) => !k.startsWith('@'))
      .map(([, v]) => textOf(v))
      .join(' ');
  }
  return '';
}

const ERROR_ROLES = new Set(['error', 'fatal']);

/**
 * Extracts the failures from an SVRL report: every `svrl:failed-assert`, and every `svrl:successful-report`
 * whose role is error or fatal (a report is a failure only when the schematron says so).
 */
export function parseSvrl(svrl: string, layer: string): FailedAssertion[] {
  const doc = svrlParser.parse(svrl) as Record<string, unknown>;
  const root = doc['schematron-output'] as Record<string, unknown> | undefined;
  if (!root) return [{ layer, id: 'svrl', test: '', location: '', text: 'not an SVRL report' }];
  const out: FailedAssertion[] = [];
  const collect = (items: unknown, onlyErrors: boolean): void => {
    if (!Array.isArray(items)) return;
    for (const item of items as Record<string, unknown>[]) {
      const role = typeof item['@role'] === 'string' ? item['@role'] : undefined;
      if (onlyErrors && (role === undefined || !ERROR_ROLES.has(role))) continue;
      const test = String(item['@test'] ?? '');
      out.push({
        layer,
        id: typeof item['@id'] === 'string' && item['@id'] !== '' ? item['@id'] : test,
        test,
        ...(role !== undefined ? { role } : {}),
        location: String(item['@location'] ?? '').replaceAll('Q{urn:hl7-org:v3}', 'cda:'),
        text: textOf(item['text']).replace(/\s+/g, ' ').trim(),
      });
    }
  };
  collect(root['failed-assert'], false);
  collect(root['successful-report'], true);
  return out;
}
