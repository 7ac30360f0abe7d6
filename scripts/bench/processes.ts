/**
 * What the pipeline benchmark and the soak run share: the local stack (reused when it answers, else acquired and
 * released), the four services started as compiled processes (`node services/<name>/dist/main.js`) on a topic
 * prefix, the load tool run against them (`scripts/load.ts --external <prefix>`), and a process's CPU and RSS read
 * from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOCAL_BROKERS, LOCAL_REGISTRY } from '../local-stack';
import { loadPki } from '../load/pki';

export const ROOT = join(__dirname, '..', '..');
export const SERVICES = ['composer', 'signer', 'router', 'retrier'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);
/** A figure for a table: `-` when there is none. */
export const cell = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : String(v));
/** The 1, 5 and 15-minute load averages, to two decimals */
export const loadAverage = () => loadavg().map((l) => Math.round(l * 100) / 100);
/** A record with one value per service */
export const byService = <T>(f: (s: ServiceName, i: number) => T) =>
  Object.fromEntries(SERVICES.map((s, i) => [s, f(s, i)])) as Record<ServiceName, T>;

/** Every child still running, stopped if the command is interrupted */
const children = new Set<ChildProcess>();
/** Whether this command brought the local stack up (then it releases it at the end, or when interrupted) */
let acquired = false;

export function releaseStack(): void {
  if (!acquired) return;
  acquired = false;
  execFileSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'release', String(process.pid)], { stdio: 'inherit' });
}

/** On SIGINT or SIGTERM: stop the children, release the stack if this command acquired it, exit 130. */
export function stopOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGTERM');
      releaseStack();
      process.exit(130);
    });
  }
}

/** utime + stime of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat, after the command's parenthesis). */
export function cpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime + stime of a running process in clock ticks, NaN when it is gone. */
export function processTicks(pid: number): number {
  try {
    return cpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** Resident set size of a running process in MiB, NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The pid listening on a local TCP port (our user's processes only), or undefined. */
export function listeningPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function reachable(hostPort: string, timeoutMs = 2_000): Promise<boolean> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function httpStatus(url: string, timeoutMs = 2_000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export interface Stack {
  brokers: string;
  registryUrl: string;
  /** The first broker's and the registry's pids, when they are our user's processes on this machine */
  pids: { broker?: number; registry?: number };
  /** The broker JVM's JIT, from its command line: `C1 only` (the stack's default, fast starts) or `C1+C2` */
  brokerJit?: string;
}

/**
 * The stack at KAFKA_BROKERS and SCHEMA_REGISTRY_URL when it answers; without those variables, the local stack,
 * started (`stack.sh acquire`) when it does not answer and then released by releaseStack(). Throws when the
 * environment names a stack that does not answer.
 */
export async function reuseOrAcquireStack(): Promise<Stack> {
  const brokers = process.env.KAFKA_BROKERS ?? LOCAL_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;
  const firstBroker = brokers.split(',')[0] ?? '';
  // Generous timeouts: on a loaded machine a running stack can take seconds to answer, and starting a second one fails.
  if ((await reachable(firstBroker, 15_000)) && (await httpStatus(`${registryUrl}/subjects`, 15_000)) !== 0) {
    console.log(`stack: reusing the one answering at ${brokers}, ${registryUrl}`);
  } else if (!process.env.KAFKA_BROKERS) {
    // With the JVMs' default JIT (C1 then C2), as a long-running broker has, not the stack's C1 only for fast starts.
    console.log('stack: not running, starting it (PASSERELLE_JVM_OPTS= bash infra/stack.sh acquire: the JVMs with C1 and C2)');
    // Measured: a broker started by the run itself cost 2.6 ms per document at --max where a warm one cost 1.0–1.3.
    console.log(
      'stack: its broker is cold (C2 compiles as it runs): for figures to compare, start the stack first (PASSERELLE_JVM_OPTS= bash infra/stack.sh up) and measure on a warm one',
    );
    execFileSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'acquire', String(process.pid)], {
      stdio: 'inherit',
      env: { ...process.env, PASSERELLE_JVM_OPTS: process.env.PASSERELLE_JVM_OPTS ?? '' },
    });
    acquired = true;
  } else {
    throw new Error(`no broker at KAFKA_BROKERS=${brokers} or no registry at ${registryUrl}: start that stack, or unset both variables`);
  }
  const port = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
  const pids = { broker: listeningPid(port(firstBroker)), registry: listeningPid(Number(new URL(registryUrl).port)) };
  const brokerJit = pids.broker ? jitOf(pids.broker) : undefined;
  console.log(
    `broker pid ${pids.broker ?? 'not found (its CPU is not measured)'}${brokerJit ? ` (JIT ${brokerJit})` : ''}, registry pid ${pids.registry ?? 'not found'}`,
  );
  return { brokers, registryUrl, pids, brokerJit };
}

/**
 * A service's transactions so far and the input records they handled, summed over its input topics (its /metrics:
 * `passerelle_transaction_records`); undefined when it does not answer.
 */
export async function batchTotals(port: number): Promise<{ count: number; records: number } | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const sum = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    return { count: sum('passerelle_transaction_records_count'), records: sum('passerelle_transaction_records_sum') };
  } catch {
    return undefined;
  }
}

/** A JVM's JIT from its command line: `C1 only` with -XX:TieredStopAtLevel=1, else `C1+C2`. */
function jitOf(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('-XX:TieredStopAtLevel=1') ? 'C1 only' : 'C1+C2';
  } catch {
    return undefined;
  }
}

/** `turbo run build` of the services and what they import (when `build`), then check each has its dist/main.js. */
export function buildServices(build: boolean): void {
  if (build) {
    console.log('build: turbo run build (the services and what they import)');
    execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', ...SERVICES.map((s) => `--filter=@passerelle/${s}...`)], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  for (const s of SERVICES) {
    if (!existsSync(join(ROOT, 'services', s, 'dist', 'main.js')))
      throw new Error(`services/${s}/dist/main.js missing: run turbo run build`);
  }
}

/**
 * The services' environment on `stack`, with the test PKI of `pharmacies` certificates over `keys` RSA keys (made
 * once in .cache/load-pki/, where the load tool finds it too).
 */
export async function serviceEnvironment(stack: Stack, pharmacies: number, keys: number): Promise<NodeJS.ProcessEnv> {
  const pkiDir = join(ROOT, '.cache', 'load-pki', `${pharmacies}-${keys}`);
  const pki = await loadPki(pkiDir, pharmacies, keys);
  console.log(`test PKI: ${pharmacies} pharmacies' certificates, ${keys} distinct keys, ${pki.cached ? 'reused' : 'made'} (${pkiDir})`);
  return {
    ...process.env,
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    PASSERELLE_TEST_PLATFORM: 'true',
    PASSERELLE_KEYSTORE_DIR: pki.keyStoreDir,
    PASSERELLE_TRUST_DIR: pki.trustDir,
    PASSERELLE_RETRY_TIERS: process.env.PASSERELLE_RETRY_TIERS ?? '1s,5s,30s',
    PASSERELLE_XDS_SOURCE_ID: '2.25.329800735698586629295641978511506172918',
    PASSERELLE_MSS_PRODUCT_REFERENCE: 'PASSERELLE-DEMO-0.1',
    PASSERELLE_VENDOR_NAME: 'Passerelle (benchmark)',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
}

export interface Service {
  name: ServiceName;
  child: ChildProcess;
  pid: number;
  port: number;
  listeningMs: number;
  readyMs: number;
  peakRssMiB: number;
  log: string;
}

/** Spawn `node services/<name>/dist/main.js` (metrics on `port`, log in `work`) and wait until /readyz answers 200. */
export async function startService(
  name: ServiceName,
  port: number,
  env: NodeJS.ProcessEnv,
  work: string,
  profileDir?: string,
): Promise<Service> {
  const log = join(work, `${name}.log`);
  const fd = openSync(log, 'w');
  const started = Date.now();
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profiling, join(ROOT, 'services', name, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...env, PASSERELLE_METRICS_PORT: String(port) },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  let listeningMs = NaN;
  for (;;) {
    if (exited !== undefined) {
      const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${name} exited (code ${exited}) before it was ready: ${tail}`);
    }
    if (Date.now() - started > 120_000) throw new Error(`${name} not ready after 120 s (log: ${log})`);
    const status = await httpStatus(`http://127.0.0.1:${port}/readyz`, 1_000);
    if (status !== 0 && Number.isNaN(listeningMs)) listeningMs = Date.now() - started;
    if (status === 200) break;
    await sleep(20);
  }
  return { name, child, pid: child.pid as number, port, listeningMs, readyMs: Date.now() - started, peakRssMiB: 0, log };
}

/**
 * The four services on the topic prefix of `env`, one after the other as services.sh did (the first creates the
 * run's topics, the others find them), metrics on firstPort, firstPort+1…; each appended to `into` once ready, so
 * that the caller can stop those that started when a later one fails.
 */
export async function startServices(
  into: Service[],
  label: string,
  firstPort: number,
  env: NodeJS.ProcessEnv,
  work: string,
  profileDir?: (s: ServiceName) => string,
): Promise<void> {
  for (const [i, s] of SERVICES.entries()) {
    const service = await startService(s, firstPort + i, env, work, profileDir?.(s));
    into.push(service);
    console.log(
      `${label}: ${s} ready ${service.readyMs} ms after spawn (answering HTTP after ${service.listeningMs} ms), pid ${service.pid}`,
    );
  }
}

/** SIGTERM, then SIGKILL after 20 s; resolves when the process has exited. */
export async function stopService(s: Service): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Run the load tool (scripts/load.ts --external `prefix`, then `args`) against services already running; each line
 * of its output goes to `onLine`. Resolves with its exit code (0, or 1 when a threshold broke).
 */
export async function runLoadTool(
  prefix: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<number | null> {
  const tool = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'load.ts'), '--external', prefix, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(tool);
  tool.once('exit', () => children.delete(tool));
  const lines = createInterface({ input: tool.stdout as NodeJS.ReadableStream });
  lines.on('line', onLine);
  return new Promise<number | null>((resolve) => tool.once('exit', resolve));
}
