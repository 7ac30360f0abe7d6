/**
 * The services as they run in production: compiled JavaScript (`turbo run build`, tsc into dist/), started with
 * `node services/<name>/dist/main.js`, each against the broker on a topic prefix of its own run. Each must answer
 * /readyz 200 (in its consumer group) and stop cleanly on SIGTERM. How fast they are ready is measured by the
 * benchmark (`npm run bench`), not asserted here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from '@passerelle/testing';

const ROOT = join(__dirname, '..', '..');
const SERVICES = ['composer', 'signer', 'router', 'retrier'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readyz(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe('the services compiled to JavaScript', () => {
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // turbo's cache makes this a check when dist/ is up to date with the sources.
    execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', ...SERVICES.map((s) => `--filter=@passerelle/${s}...`)], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 600_000,
    });
    const pkiDir = mkdtempSync(join(tmpdir(), 'compiled-services-'));
    const pki = await createTestPki(pkiDir, ['750100208'], { broken: false, auth: false });
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL,
      PASSERELLE_TOPIC_PREFIX: `compiled${Date.now().toString(36)}.`,
      PASSERELLE_TEST_PLATFORM: 'true',
      PASSERELLE_KEYSTORE_DIR: pki.keyStoreDir,
      PASSERELLE_TRUST_DIR: pki.trustDir,
      PASSERELLE_RETRY_TIERS: '1s,5s',
      PASSERELLE_XDS_SOURCE_ID: '2.25.329800735698586629295641978511506172918',
      PASSERELLE_MSS_PRODUCT_REFERENCE: 'PASSERELLE-DEMO-0.1',
      PASSERELLE_VENDOR_NAME: 'Passerelle (test)',
      LOG_LEVEL: 'warn',
    };
  }, 660_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('each starts with node dist/main.js, is ready in its group, and stops on SIGTERM with exit code 0', async () => {
    for (const [i, name] of SERVICES.entries()) {
      const main = join(ROOT, 'services', name, 'dist', 'main.js');
      expect(existsSync(main)).toBe(true);
      const port = 19_441 + i;
      const started = Date.now();
      let output = '';
      const child = spawn(process.execPath, [main], { cwd: ROOT, env: { ...env, PASSERELLE_METRICS_PORT: String(port) } });
      children.push(child);
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      let status = 0;
      while (status !== 200 && child.exitCode === null && Date.now() - started < 90_000) {
        await sleep(50);
        status = await readyz(port);
      }
      if (status !== 200)
        process.stdout.write(`${name} not ready (exit ${child.exitCode}): ${output.trim().split('\n').slice(-2).join(' | ')}\n`);
      expect(status).toBe(200);
      process.stdout.write(`${name}: node dist/main.js ready ${Date.now() - started} ms after spawn\n`);
    }
    const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))));
    for (const child of children) child.kill('SIGTERM');
    const codes = await Promise.race([Promise.all(exits), sleep(30_000).then(() => 'timeout' as const)]);
    expect(codes).toEqual([0, 0, 0, 0]);
  }, 420_000);
});
