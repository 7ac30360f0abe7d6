import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { warmUpBroker } from '../support/stack';
import { INFRA_DIR, kafkaImageEnvironment, readStackSettings } from '../support/stack-settings';

/**
 * Finds the Kafka broker and schema registry for the integration tests, in this order:
 *  1. KAFKA_BROKERS + SCHEMA_REGISTRY_URL from the environment (a stack someone else runs);
 *  2. testcontainers, when a Docker engine answers: apache/kafka and apicurio/apicurio-registry containers
 *     configured from infra/ (same settings as the local stack);
 *  3. the local stack, `bash infra/stack.sh acquire <pid>` (started if needed; Java 17 + the artifacts of
 *     infra/fetch.sh, which it runs if they are missing).
 * The result goes to process.env (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_STACK_SOURCE), which Jest's
 * test workers inherit. global-teardown.ts undoes only what this started.
 */
const run = promisify(execFile);

export type StackSource = 'env' | 'containers' | 'local';

/** What global-teardown.ts must stop: Jest runs both in the same process, so a global carries it over. */
export interface StartedStack {
  source: StackSource;
  stop: () => Promise<void>;
}
declare global {
  var __PASSERELLE_STACK__: StartedStack | undefined;
}

function say(message: string): void {
  process.stderr.write(`\n[global-setup] ${message}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The Docker host's address when an engine answers, else undefined (no error: it is an optional path). */
async function dockerHost(): Promise<string | undefined> {
  if (process.env.PASSERELLE_NO_DOCKER === '1') return undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return client.info.containerRuntime.host;
  } catch {
    return undefined;
  }
}

async function startContainers(host: string): Promise<{ brokers: string; registryUrl: string; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const settings = readStackSettings();
  // The broker advertises the address clients use, so its host port is chosen first and bound as is.
  const brokerPort = await freePort();
  const kafka = await new GenericContainer(`apache/kafka:${settings.kafkaVersion}`)
    .withEnvironment(kafkaImageEnvironment(settings, host, brokerPort))
    .withExposedPorts({ container: brokerPort, host: brokerPort })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  try {
    const registry = await new GenericContainer(`apicurio/apicurio-registry:${settings.apicurioVersion}`)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp(`${settings.registryCcompatPath}/subjects`, 8080).forStatusCode(200))
      .withStartupTimeout(180_000)
      .start();
    return {
      brokers: `${host}:${brokerPort}`,
      registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}${settings.registryCcompatPath}`,
      stop: async () => {
        await registry.stop();
        await kafka.stop();
      },
    };
  } catch (error) {
    await kafka.stop();
    throw error;
  }
}

async function acquireLocalStack(): Promise<{ brokers: string; registryUrl: string; stop: () => Promise<void> }> {
  const stackSh = join(INFRA_DIR, 'stack.sh');
  const started = Date.now();
  const { stdout } = await run('bash', [stackSh, 'acquire', String(process.pid)], { maxBuffer: 1 << 20 });
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(.+)$`, 'm').exec(stdout);
    if (!m?.[1]) throw new Error(`infra/stack.sh acquire did not print ${key}:\n${stdout}`);
    return m[1];
  };
  for (const line of stdout.split('\n').filter((l) => l.startsWith('stack: '))) say(line);
  say(`local stack ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return {
    brokers: value('KAFKA_BROKERS'),
    registryUrl: value('SCHEMA_REGISTRY_URL'),
    stop: async () => {
      const { stdout: out } = await run('bash', [stackSh, 'release', String(process.pid)]);
      if (out.trim() !== '') say(out.trim());
    },
  };
}

export default async function globalSetup(): Promise<void> {
  // kafkajs 2 prints a notice about its default partitioner on every producer; the tests do not need it.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  // A passing run prints no log lines: clients' and services' logs at error only (LOG_LEVEL=warn or debug shows more).
  process.env.LOG_LEVEL ??= 'error';
  const { KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: registryUrl } = process.env;
  if (brokers || registryUrl) {
    if (!brokers || !registryUrl) {
      throw new Error('set both KAFKA_BROKERS and SCHEMA_REGISTRY_URL, or neither (the tests then find a stack)');
    }
    process.env.PASSERELLE_STACK_SOURCE = 'env';
    say(`using KAFKA_BROKERS=${brokers} SCHEMA_REGISTRY_URL=${registryUrl}`);
    await warmUpBroker(brokers.split(','));
    return;
  }
  const host = await dockerHost();
  const stack = host !== undefined ? await startContainers(host) : await acquireLocalStack();
  const source: StackSource = host !== undefined ? 'containers' : 'local';
  const warming = Date.now();
  try {
    await warmUpBroker(stack.brokers.split(','));
  } catch (error) {
    // Jest skips the teardown when the setup fails: give back what this setup took.
    await stack.stop();
    throw error;
  }
  globalThis.__PASSERELLE_STACK__ = { source, stop: stack.stop };
  say(`broker coordinators ready after ${((Date.now() - warming) / 1000).toFixed(1)}s`);
  process.env.KAFKA_BROKERS = stack.brokers;
  process.env.SCHEMA_REGISTRY_URL = stack.registryUrl;
  process.env.PASSERELLE_STACK_SOURCE = source;
  say(`${source}: KAFKA_BROKERS=${stack.brokers} SCHEMA_REGISTRY_URL=${stack.registryUrl}`);
}
