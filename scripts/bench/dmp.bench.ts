/**
 * The dmp-gateway's CPU per delivery: `npx tsx scripts/bench/dmp.bench.ts [--deliveries 400] [--concurrency 6]`.
 * The DMP simulator runs in a child process (its CPU is not counted); this process delivers prepared submissions with
 * `deliver()` as the gateway does (AUTH_CLI check, a fresh VIHF signed with RSA-2048, the MTOM request, mutual TLS
 * with one keep-alive agent per pharmacy, the answer read and classified), `--concurrency` at a time (the gateway
 * handles its partitions concurrently). Kafka is not included: the stage's cost per record is in the pipeline
 * benchmark. Prints CPU ms per delivery (user + system of this process), deliveries per second of wall time, the
 * load average and `openssl speed rsa2048` measured in the same run; writes the figures as JSON to
 * scripts/bench/results/dmp-gateway-<timestamp>.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthCliStore, deliver, DmpHttpsTransport, type DeliverDeps } from '@passerelle/dmp';
import type { DmpSubmission } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { PATHS } from '../../test/dmp-simulator/simulator';
import { makeSubmission, testPki, type FixtureKind } from '../../test/dmp-simulator/submissions';
import { freePort } from '../../test/faults/supervisor';
import { opensslSignsPerSecond } from './openssl';

const USAGE = 'usage: npx tsx scripts/bench/dmp.bench.ts [--deliveries 400] [--concurrency 6] [--profile <file.cpuprofile>]';
const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '6' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const DELIVERIES = Number(values.deliveries);
const CONCURRENCY = Number(values.concurrency);
const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dmp-bench-'));
  const pki = await testPki();
  const port = await freePort();
  const caFile = join(work, 'dmp-ca.pem');
  const sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test/dmp-simulator/cli.ts'),
      '--pki',
      pki.keyStoreDir,
      '--port',
      String(port),
      '--any-patient',
      '--ca-out',
      caFile,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error('the DMP simulator did not start within 60 s')), 60_000);
      sim.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('DMP simulator:')) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      sim.once('exit', (code) => reject(new Error(`the DMP simulator exited (${code})`)));
    });
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const kinds: FixtureKind[] = ['vaccination', 'medication-review', 'pharmaceutical-interview'];
    const submissions: DmpSubmission[] = [];
    for (let i = 0; i < DELIVERIES + 20; i++)
      submissions.push(await makeSubmission(kinds[i % kinds.length] as FixtureKind, keyStore, { eventId: randomUUID() }));
    const transport = new DmpHttpsTransport({ serverCa: readFileSync(caFile, 'utf8'), timeoutMs: 30_000 });
    const deps: DeliverDeps = {
      endpoint: `https://127.0.0.1:${port}${PATHS.repository}`,
      authCli: new AuthCliStore({ dir: pki.authDir, trustAnchors: pki.trustDir }),
      signKeys: keyStore,
      transport,
      software: { id: 'PASSERELLE-BENCH', name: 'Passerelle', version: '0.1.0' },
    };
    const run = async (batch: typeof submissions) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batch.length) {
            const s = batch[next++];
            if (s) {
              const r = await deliver(s, deps);
              if (r.outcome !== 'delivered') throw new Error(`unexpected outcome ${r.outcome}`);
            }
          }
        }),
      );
    };
    await run(submissions.slice(0, 20)); // warm-up: JIT, TLS session, keys
    // --profile: a V8 CPU profile of the measured deliveries only (not the set-up), for Chrome DevTools or speedscope.
    const session = values.profile ? new Session() : undefined;
    const post = (method: string, params?: object) =>
      new Promise<unknown>((done, fail) => session?.post(method, params ?? {}, (err, result) => (err ? fail(err) : done(result))));
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    }
    const loadStart = loadavg();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run(submissions.slice(20));
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (session && values.profile) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(values.profile, JSON.stringify(profile));
      session.disconnect();
      console.log(`profile of the measured deliveries: ${values.profile}`);
    }
    const loadEnd = loadavg();
    transport.close();
    const openssl = opensslSignsPerSecond();
    const cpuMs = (cpu.user + cpu.system) / 1000 / DELIVERIES;
    const result = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      loadAverage: { start: loadStart, end: loadEnd },
      deliveries: DELIVERIES,
      concurrency: CONCURRENCY,
      cpuMsPerDelivery: Number(cpuMs.toFixed(3)),
      userMsPerDelivery: Number((cpu.user / 1000 / DELIVERIES).toFixed(3)),
      deliveriesPerSecond: Number((DELIVERIES / wallS).toFixed(1)),
      opensslSignPerSecond: openssl,
      // Deliveries per gateway CPU-second over RSA-2048 signs per second: each delivery signs one VIHF.
      ratio: Number((1000 / cpuMs / openssl).toFixed(3)),
    };
    console.log(
      `machine: ${result.machine.cpus} cores (${result.machine.model}), Node ${result.machine.node}; load ${loadStart.map((l) => l.toFixed(2)).join(' ')} → ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`,
    );
    console.log(
      `dmp-gateway deliver(): ${result.cpuMsPerDelivery} ms CPU per delivery (user ${result.userMsPerDelivery}), ${result.deliveriesPerSecond} deliveries/s wall, ${DELIVERIES} deliveries, ${CONCURRENCY} in flight`,
    );
    console.log(
      `openssl speed rsa2048: ${openssl} sign/s on one core; deliveries per CPU-second / openssl signs per second = ${result.ratio}`,
    );
    const dir = join(ROOT, 'scripts/bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `dmp-gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    sim.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`dmp bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
