import { randomBytes } from 'node:crypto';
import { consoleLogger, kafkajsLogCreator } from '@passerelle/kafka-runtime';
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
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
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
 * running into Jest's timeout: a 1 s connection timeout and short retries, about 3 s of waiting in all
 * (kafkajs defaults: 5 retries growing to 30 s, that is minutes of silence). Enough for a fresh broker's
 * coordinators to load.
 */
export const FAST_FAILING_CLIENT: Required<Pick<KafkaConfig, 'connectionTimeout' | 'requestTimeout' | 'retry'>> = {
  connectionTimeout: 1_000,
  requestTimeout: 10_000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2 },
};

/**
 * A kafkajs configuration for tests, with {@link FAST_FAILING_CLIENT}'s timeouts, its log lines through the project's
 * logger (readable lines on stderr at LOG_LEVEL, which the global setup makes `error` unless set).
 */
export function testKafkaConfig(clientId = 'passerelle-test', brokers: string[] = testStack().brokers): KafkaConfig {
  return { clientId, brokers, ...FAST_FAILING_CLIENT, logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(consoleLogger(clientId)) };
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

/**
 * Makes a fresh broker's coordinators ready before the first test: the first consumer group and the first
 * idempotent producer make Kafka create and load its internal topics (__consumer_offsets, __transaction_state),
 * which takes longer than {@link FAST_FAILING_CLIENT}'s retry budget. Joins a group and starts an idempotent
 * producer with patient retries; on a warm broker this takes a few hundred milliseconds.
 */
export async function warmUpBroker(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'passerelle-test-warm-up',
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3_000 },
    // Retriable "coordinator is loading" answers are expected here: do not print them.
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.disconnect();
  const topic = 'passerelle.test-warm-up';
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: 'passerelle-test-warm-up', maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => undefined });
    await joined;
  } finally {
    await consumer.disconnect();
  }
}
