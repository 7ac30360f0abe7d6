/**
 * Reads a V8 CPU profile (`node --cpu-prof`, or scripts/bench/profile.ts) and says where the busy time went: by
 * function (self time) and by package (node_modules/<package>, the workspace's own code, Node's internals, the garbage
 * collector). Idle time is left out of the shares: they are shares of the CPU the process used.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** The functions with the most self time, as a percentage of the busy time */
  top: { fn: string; where: string; percent: number }[];
  /** Self time by package, as a percentage of the busy time, largest first */
  byPackage: { name: string; percent: number }[];
}

/** Which package a script belongs to: the last node_modules/<package> in its path, else its workspace, else Node. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? 'gc' : functionName === '(program)' ? 'program' : 'native';
  const modules = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith('node:')) return 'node';
  const workspace = /\/(packages|services|scripts|schemas)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : 'other';
}

const shortWhere = (url: string, line: number) =>
  `${url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '')
    .replace(/.*\/(packages|services|scripts|schemas)\//, '$1/')}:${line + 1}`;

export function summariseProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let idleUs = 0;
  let busyUs = 0;
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const fn = functionName || '(anonymous)';
    const where = url ? shortWhere(url, lineNumber) : '';
    const key = `${fn} ${where}`;
    const entry = fns.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const percent = (us: number) => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  return {
    busyMs: Math.round(busyUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, percent: percent(f.us) })),
    byPackage: [...packages].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, percent: percent(us) })),
  };
}

export function summariseProfileFile(file: string, top = 12): ProfileSummary {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

/** A few lines for the console: the packages over 2 %, then the top functions. */
export function formatSummary(name: string, s: ProfileSummary): string {
  const packages = s.byPackage
    .filter((p) => p.percent >= 2)
    .map((p) => `${p.name} ${p.percent}%`)
    .join(', ');
  const fns = s.top.map((f) => `    ${String(f.percent).padStart(5)}%  ${f.fn}  ${f.where}`).join('\n');
  return `${name}: busy ${s.busyMs} ms (idle ${s.idleMs} ms); by package: ${packages}\n${fns}`;
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0 || files.includes('--help')) {
    console.log('usage: npx tsx scripts/bench/cpuprofile.ts <file.cpuprofile>...  (where the busy time went, by package and function)');
    process.exit(files.length === 0 ? 2 : 0);
  }
  for (const f of files) console.log(formatSummary(f, summariseProfileFile(f)));
}
