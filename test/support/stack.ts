import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

/**
 * What integration tests connect to: the broker and registry that test/setup/global-setup.ts found or started
 * (env, testcontainers or infra/stack.sh), handed over through KAFKA_BROKERS and SCHEMA_REGISTRY_URL.
 */
export interface TestStack {
  brokers: string[];
  /** The Confluent-compatible API base, e.g. http://127.0.0.1:18081/apis/ccompat/v7. */
  registryUrl: string;
}

/** The stack found by the integration project's global setup. */
export function testStack(): TestStack {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
  if (brokers.length === 0 || registryUrl === '') {
    throw new Error(
      'KAFKA_BROKERS and SCHEMA_REGISTRY_URL are not set: run integration tests through Jest ' +
        '(npx jest --selectProjects integration), whose global setup (test/setup/global-setup.ts) finds a stack',
    );
  }
  return { brokers, registryUrl };
}

/**
 * Client settings that make a test fail within seconds when the broker is down or a request is lost, instead of
 * running into Jest's timeout: a 1 s connection timeout and a few short retries (kafkajs defaults: 5 retries
 * growing to 30 s, that is minutes of silence).
 */
export const FAST_FAILING_CLIENT: Required<Pick<KafkaConfig, 'connectionTimeout' | 'requestTimeout' | 'retry'>> = {
  connectionTimeout: 1_000,
  requestTimeout: 10_000,
  retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2 },
};

/** A kafkajs configuration for tests, with {@link FAST_FAILING_CLIENT}'s timeouts. */
export function testKafkaConfig(clientId = 'passerelle-test', brokers: string[] = testStack().brokers): KafkaConfig {
  return { clientId, brokers, ...FAST_FAILING_CLIENT, logLevel: logLevel.ERROR };
}

/** A kafkajs client on the test stack. */
export const testKafka = (clientId?: string): Kafka => new Kafka(testKafkaConfig(clientId));

const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let sequence = 0;

/**
 * A name no other test (or test run, or engineer on the same broker) uses: `<base>.test-<run>-<n>`.
 * Valid as a topic name, a consumer group id and a registry subject prefix.
 */
export function uniqueName(base: string): string {
  sequence += 1;
  return `${base}.test-${RUN_ID}-${sequence}`;
}

/**
 * Creates one topic per name, each made unique with {@link uniqueName}, and waits until each partition has a
 * leader. Returns the created names in the order given.
 */
export async function createTestTopics(names: string[], partitions = 1): Promise<string[]> {
  const topics = names.map(uniqueName);
  const admin = testKafka('passerelle-test-admin').admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    if (!created) throw new Error(`createTestTopics: a topic named like ${topics.join(', ')} already exists`);
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/** Deletes topics created by {@link createTestTopics} (tests call it in afterAll to keep the broker small). */
export async function deleteTestTopics(topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = testKafka('passerelle-test-admin').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
