/**
 * The fault test's process supervisor: each service runs as its own child process, as in production, and the
 * supervisor does what Kubernetes would do there: it restarts a process that exits, and one whose /livez says the
 * consumer crashed for good. It also kills processes (SIGKILL: no shutdown hook runs, no transaction is finished).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface ServiceProcessOptions {
  name: string;
  /** The service's entry point, run as `node --import tsx <script>` (no npx in between: a kill must reach it) */
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** PASSERELLE_METRICS_PORT of the process: /livez and /readyz */
  port: number;
  /** Where the process's stdout and stderr go (appended across restarts) */
  logFile: string;
}

/** One supervised service process. */
export class ServiceProcess {
  /** Processes started (the first start included) */
  starts = 0;
  /** SIGKILLs sent by the test */
  kills = 0;
  /** Exits nobody asked for (e.g. the broker went away during start-up), each followed by a restart */
  unexpectedExits = 0;
  /** Processes alive but with a crashed consumer (/livez 503), killed and restarted */
  livenessRestarts = 0;
  private child: ChildProcess | undefined;
  private readonly killedByUs = new WeakSet<ChildProcess>();
  private stopped = false;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly log: WriteStream;

  constructor(readonly opts: ServiceProcessOptions) {
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
  }

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and watches it until {@link stop}. */
  start(): void {
    this.stopped = false;
    this.spawnOnce();
    this.watchdog ??= setInterval(() => void this.checkLiveness(), 2_000);
  }

  private spawnOnce(): void {
    this.starts += 1;
    const child = spawn(process.execPath, ['--import', 'tsx', this.opts.script], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.log.write(`# supervisor ${new Date().toISOString()}: start #${this.starts}, pid ${child.pid}\n`);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    child.once('exit', (code, signal) => {
      this.log.write(`# supervisor ${new Date().toISOString()}: pid ${child.pid} exited (code ${code}, signal ${signal})\n`);
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      if (this.killedByUs.has(child)) {
        this.spawnOnce();
      } else {
        this.unexpectedExits += 1;
        // A short pause, as a supervisor's restart back-off would give.
        setTimeout(() => {
          if (!this.stopped && !this.child) this.spawnOnce();
        }, 1_000);
      }
    });
  }

  /**
   * kill -9, then the supervisor starts a new process at once, unless `restart` is false (an instance lost for good:
   * its group's other members must take over). Resolves when the old one is gone.
   */
  async kill9(reason: 'chaos' | 'liveness' = 'chaos', restart = true): Promise<void> {
    // Between an unasked exit and its restart there is no process for a moment: the kill waits for the next one.
    for (let waited = 0; reason === 'chaos' && !this.child && !this.stopped && waited < 10_000; waited += 100) await sleep(100);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    if (reason === 'chaos') this.kills += 1;
    else this.livenessRestarts += 1;
    if (restart) this.killedByUs.add(child);
    else this.stopWatching();
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.log.write(`# supervisor ${new Date().toISOString()}: kill -9 pid ${child.pid} (${reason})\n`);
    child.kill('SIGKILL');
    await gone;
  }

  private async checkLiveness(): Promise<void> {
    if (this.stopped || !this.child) return;
    const status = await httpStatus(this.opts.port, '/livez');
    // 503: the consumer crashed and kafkajs will not restart it; the process lives on, uselessly.
    if (status === 503 && !this.stopped) await this.kill9('liveness');
  }

  /** Waits until the process's stage is in its consumer group (/readyz 200). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await httpStatus(this.opts.port, '/readyz')) !== 200) {
      if (Date.now() > deadline) {
        throw new Error(`${this.name} not ready after ${timeoutMs} ms; its log: ${this.opts.logFile}\n${this.tail()}`);
      }
      await sleep(250);
    }
  }

  /** No more restarts nor liveness checks. */
  private stopWatching(): void {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Graceful stop (SIGTERM: the batch in hand commits, the group is left), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopWatching();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await gone;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }

  /** The last lines of the process's log (service logs carry ids and codes, never personal data). */
  tail(lines = 30): string {
    try {
      return readFileSync(this.opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

/** The HTTP status of GET 127.0.0.1:<port><path>, or 0 when nothing answers. */
export function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 1_500 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
