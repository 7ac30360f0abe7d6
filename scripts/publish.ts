/**
 * Publishes LGO events (JSON files in the shape of their Avro schema) to Kafka through the schema registry.
 *
 *   npx tsx scripts/publish.ts <event.json>… [--topic <topic>] [--topic-prefix <prefix>] [--brokers host:port,…]
 *                              [--registry <url>] [--test-platform] [--verbose]
 *
 * A file holds one event or an array of events. The topic is told by each event's body (vaccination, dispensation,
 * review) and goes to `<prefix><topic>` (prefix: --topic-prefix, else PASSERELLE_TOPIC_PREFIX, else none), unless
 * --topic names the topic (an event topic, possibly prefixed: `t42.lgo.vaccination.v1`). Every event is validated before anything is produced: one bad event prints each
 * `file: path: rule` and exits 1 with nothing published. Prints one line per event: file, topic, partition, offset,
 * key. Exit codes: 0 published, 1 invalid event or broker/registry unavailable, 2 bad usage.
 *
 * Defaults: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, else the local stack (infra/stack.sh). TLS and SASL as for the services:
 * KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD(_FILE). --test-platform (or
 * PASSERELLE_TEST_PLATFORM=true, as for the services) accepts the INS test and demo OIDs that the sample events use.
 * Outside a test platform the record keys are HMACs with the secret in the file PASSERELLE_KEY_SECRET_FILE (at least
 * 32 bytes; required there).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { logLevel } from 'kafkajs';
import { ConfigError } from '@passerelle/errors';
import { eventTopicOf, EVENT_TOPICS, type EventTopic } from '@passerelle/schemas';
import {
  checkEvent,
  createPublisher,
  InvalidEventError,
  PublisherError,
  topicForEvent,
  type BatchItem,
  type Violation,
} from '@passerelle/publisher';

import { loadRuntimeConfig } from '@passerelle/kafka-runtime';
import { LOCAL_BROKERS, LOCAL_REGISTRY, START_LOCAL_STACK } from './local-stack';

export { LOCAL_BROKERS, LOCAL_REGISTRY };

/** The rest of the one error line, when the broker or the registry does not answer. */
const WHAT_TO_DO: Record<string, string> = {
  BROKER_UNAVAILABLE: `; ${START_LOCAL_STACK}, or set KAFKA_BROKERS (--brokers)`,
  REGISTRY_UNAVAILABLE: `; ${START_LOCAL_STACK}, or set SCHEMA_REGISTRY_URL (--registry)`,
};

const USAGE = `usage: npx tsx scripts/publish.ts <event.json>… [--topic [<prefix>]${Object.values(EVENT_TOPICS).join('|')}]
       [--topic-prefix <prefix>] [--brokers host:port,…] [--registry <url>] [--test-platform] [--verbose]`;

interface Loaded {
  label: string;
  event: unknown;
}

/** Reads each file; a file holding an array gives one event per item, labelled `file#i`. */
function load(files: string[]): { events: Loaded[]; problems: string[] } {
  const events: Loaded[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // The parser's message can quote the file's text: name the file and the kind of failure only.
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${file}: ${code ? `cannot be read (${code})` : 'is not valid JSON'}`);
      continue;
    }
    if (Array.isArray(json)) json.forEach((event, i) => events.push({ label: `${file}#${i}`, event }));
    else events.push({ label: file, event: json });
  }
  return { events, problems };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        topic: { type: 'string' },
        'topic-prefix': { type: 'string' },
        brokers: { type: 'string' },
        registry: { type: 'string' },
        'test-platform': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    console.error(USAGE);
    return 2;
  }
  // --topic names a Kafka topic; its family (and so its schema) is the event topic its name ends with.
  const topicOption = values.topic;
  const topicFamily = topicOption === undefined ? undefined : eventTopicOf(topicOption);
  if (topicOption !== undefined && topicFamily === undefined) {
    console.error(`--topic must be one of ${Object.values(EVENT_TOPICS).join(', ')}, possibly prefixed`);
    return 2;
  }
  const testPlatform = values['test-platform'] || process.env.PASSERELLE_TEST_PLATFORM === 'true';

  const { events, problems } = load(positionals);
  const items: BatchItem[] = [];
  for (const { label, event } of events) {
    let topic: EventTopic;
    let violations: Violation[];
    try {
      topic = topicFamily ?? topicForEvent(event);
      violations = checkEvent(topic, event, { testPlatform });
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err;
      problems.push(...err.violations.map((v) => `${label}: ${v.path || '(event)'}: ${v.rule}`));
      continue;
    }
    problems.push(...violations.map((v) => `${label}: ${v.path || '(event)'}: ${v.rule}`));
    items.push({ topic, event });
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`nothing published: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    if (!testPlatform && problems.some((p) => p.includes('only on a test platform'))) {
      console.error('(on a test platform, e.g. with the sample events: --test-platform or PASSERELLE_TEST_PLATFORM=true)');
    }
    return 1;
  }

  const brokers = values.brokers ?? process.env.KAFKA_BROKERS ?? LOCAL_BROKERS;
  const registryUrl = values.registry ?? process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;
  let keySecret: Buffer | undefined;
  const secretFile = process.env.PASSERELLE_KEY_SECRET_FILE;
  if (secretFile) {
    try {
      keySecret = Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'utf8');
    } catch (err) {
      console.error(`PASSERELLE_KEY_SECRET_FILE ${secretFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return 2;
    }
  }
  let publisher;
  try {
    // The connection's security, read and checked as the services read theirs (a bad value: one line, exit 2).
    const { ssl, sasl } = loadRuntimeConfig('publish-cli', { ...process.env, KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: registryUrl });
    publisher = createPublisher({
      brokers,
      registryUrl,
      ssl,
      sasl,
      keySecret,
      clientId: 'passerelle-publish-cli',
      topicPrefix: values['topic-prefix'] ?? process.env.PASSERELLE_TOPIC_PREFIX ?? '',
      topicNames: topicOption !== undefined && topicFamily !== undefined ? { [topicFamily]: topicOption } : undefined,
      testPlatform,
      // kafkajs logs every failed connection attempt; the command prints one clear line instead.
      logLevel: values.verbose ? logLevel.INFO : logLevel.NOTHING,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`nothing published: ${err.message}`);
    return 2;
  }
  try {
    const results = await publisher.publishMany(items);
    results.forEach((r, i) => {
      console.log(`${events[i]?.label}\ttopic=${r.topic}\tpartition=${r.partition}\toffset=${r.offset}\tkey=${r.key}`);
    });
    return 0;
  } catch (err) {
    if (err instanceof PublisherError) {
      console.error(`error [${err.code}]: ${err.message}${WHAT_TO_DO[err.code] ?? ''}`);
      return 1;
    }
    throw err;
  } finally {
    await publisher.close().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
