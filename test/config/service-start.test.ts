/**
 * A service with a bad setting stops at start, with one line naming the variable and what it accepts: real processes,
 * started from their sources (`tsx services/<name>/src/main.ts`; compiled-services.int.test.ts runs the compiled
 * dist/main.js), with a broker address where nothing listens: they must exit before trying it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Exit {
  code: number | null;
  lines: string[];
  ms: number;
}

function start(service: string, env: NodeJS.ProcessEnv): Promise<Exit> {
  const started = Date.now();
  const child = spawn(TSX, [join(ROOT, 'services', service, 'src', 'main.ts')], {
    cwd: ROOT,
    // Only what is given: nothing from the environment of the test run (no broker address, no LOG_LEVEL).
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: output.split('\n').filter((l) => l.trim() !== ''), ms: Date.now() - started });
    });
  });
}

const NOWHERE = { KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7' };

describe('a service with a bad setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-start-'));

  it('the signer with PASSERELLE_SIGNATURE_HASH=sha384 exits at once, non-zero, with one line naming it', async () => {
    const exit = await start('signer', {
      ...NOWHERE,
      PASSERELLE_KEYSTORE_DIR: dir,
      PASSERELLE_TRUST_DIR: dir,
      PASSERELLE_SIGNATURE_HASH: 'sha384',
    });
    process.stdout.write(`signer, PASSERELLE_SIGNATURE_HASH=sha384: exit ${exit.code} after ${exit.ms} ms: ${exit.lines.join(' | ')}\n`);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.lines).toHaveLength(1);
    const line = JSON.parse(exit.lines[0] ?? '') as { level: number; msg: string };
    expect(line.level).toBe(60);
    expect(line.msg).toBe('signer not started: PASSERELLE_SIGNATURE_HASH must be one of sha1, sha256, sha512 (default sha256)');
  }, 60_000);

  it('a service without KAFKA_BROKERS exits at once instead of trying localhost', async () => {
    const exit = await start('composer', { SCHEMA_REGISTRY_URL: NOWHERE.SCHEMA_REGISTRY_URL });
    expect(exit.code).not.toBe(0);
    expect(exit.lines).toHaveLength(1);
    expect(exit.lines[0]).toContain('composer not started: KAFKA_BROKERS is required: host:port[,host:port…]');
  }, 60_000);

  it('the router with an unknown PASSERELLE_ROUTE_ variable exits at once, naming it', async () => {
    const exit = await start('router', { ...NOWHERE, PASSERELLE_ROUTE_VACCINATION_NOTE_DPM: 'true' });
    expect(exit.code).not.toBe(0);
    expect(exit.lines).toHaveLength(1);
    expect(exit.lines[0]).toContain('router not started: PASSERELLE_ROUTE_VACCINATION_NOTE_DPM is not a routing setting');
  }, 60_000);
});
