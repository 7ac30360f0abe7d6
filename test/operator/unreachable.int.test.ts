/**
 * The operator commands (scripts/passerelle.ts) and the publish command (scripts/publish.ts) when the broker or the
 * registry does not answer: one line on stderr naming what failed, its address and how to start the local stack,
 * exit 1, and within seconds (kafkajs's own retries would take half a minute), never a stack trace or kafkajs's lines.
 * The addresses are closed ports; the other half of the stack is the real one, so each check is reached.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testStack, uniqueName } from '../support/stack';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      TSX,
      [join(ROOT, 'scripts', script), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 50_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Exit 1, nothing on stdout, and stderr exactly one line that says `what` and how to start the stack. */
function expectOneLine(r: Run, what: RegExp): void {
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(what);
  expect(lines[0]).toContain('`bash infra/stack.sh up`');
  expect(r.stderr).not.toMatch(/kafkajs|^\s+at |\{"level"/m);
  expect(r.code).toBe(1);
  // Node and tsx start-up included; kafkajs's own retries (createKafka's: 8, up to 5 s apart) take 25 s or more.
  expect(r.ms).toBeLessThan(20_000);
}

const stack = testStack();
const prefix = `${uniqueName('operator-unreachable')}.`;
let deadBroker: string;
let deadRegistry: string;

beforeAll(async () => {
  deadBroker = `127.0.0.1:${await closedPort()}`;
  deadRegistry = `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`;
}, 30_000);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('passerelle with the broker down', () => {
  it.each(['status abcdefgh', 'follow', 'dlq list', 'dlq replay --all'])('%s', async (command) => {
    const r = await run('passerelle.ts', command.split(' '), {
      KAFKA_BROKERS: deadBroker,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_TOPIC_PREFIX: prefix,
    });
    expectOneLine(
      r,
      new RegExp(`^passerelle: Kafka broker unreachable at ${escape(deadBroker)} \\(connect ECONNREFUSED [^)]*\\): .*KAFKA_BROKERS$`),
    );
  });
});

describe('passerelle with the registry down', () => {
  it('status', async () => {
    const r = await run('passerelle.ts', ['status', 'abcdefgh'], {
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: deadRegistry,
      PASSERELLE_TOPIC_PREFIX: prefix,
    });
    expectOneLine(
      r,
      new RegExp(
        `^passerelle: schema registry unreachable at ${escape(deadRegistry)} \\(connect ECONNREFUSED [^)]*\\): .*SCHEMA_REGISTRY_URL$`,
      ),
    );
  });
});

describe('publish with the broker or the registry down', () => {
  const event = join(ROOT, 'test', 'fixtures', 'events', 'vaccination.json');

  it('the registry: its address and the socket error, not an HTTP status it never sent', async () => {
    const r = await run('publish.ts', [event, '--test-platform', '--topic-prefix', prefix], {
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: deadRegistry,
    });
    expectOneLine(
      r,
      new RegExp(
        `^error \\[REGISTRY_UNAVAILABLE\\]: Schema registry unreachable at ${escape(deadRegistry)}: connect ECONNREFUSED .*SCHEMA_REGISTRY_URL`,
      ),
    );
    expect(r.stderr).not.toMatch(/status 400|HTTP/);
  });

  it('the broker', async () => {
    const r = await run('publish.ts', [event, '--test-platform', '--topic-prefix', prefix], {
      KAFKA_BROKERS: deadBroker,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
    });
    expectOneLine(
      r,
      new RegExp(`^error \\[BROKER_UNAVAILABLE\\]: Kafka broker unreachable at ${escape(deadBroker)}: .*ECONNREFUSED.*KAFKA_BROKERS`),
    );
  });
});
