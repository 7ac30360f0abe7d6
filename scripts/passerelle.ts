/**
 * Operator commands (DESIGN §7):
 *   passerelle status <document-id | event-id>     one document's current state and history
 *   passerelle follow                              statuses as they happen (Ctrl-C to stop)
 *   passerelle dlq list [--code CODE]              dead letters with their reasons
 *   passerelle dlq replay (--all | --code CODE | --id TOPIC:PARTITION:OFFSET)   after the cause is fixed; idempotent
 * Connection: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX (default: the local stack, 127.0.0.1:19092 and
 * its registry, no prefix).
 * Prints ids, states, error codes and times: never personal data.
 */
import { randomUUID } from 'node:crypto';
import {
  createKafka, findStatus, listDeadLetters, loadRuntimeConfig, readStatuses, RegistryCodec, replayDeadLetters,
} from '@passerelle/kafka-runtime';
import { topicNames, type DocumentStatus } from '@passerelle/schemas';
import { LOCAL_BROKERS, withLocalStack } from './local-stack';

const usage = `usage:
  passerelle status <document-id | event-id>
  passerelle follow
  passerelle dlq list [--code CODE]
  passerelle dlq replay (--all | --code CODE | --id TOPIC:PARTITION:OFFSET)
connection: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX (default: the local stack, ${LOCAL_BROKERS})`;

const iso = (ms: number) => new Date(ms).toISOString();

function printStatus(s: DocumentStatus): void {
  console.log(`document ${s.documentId}  (event ${s.eventId})`);
  console.log(`  now: ${s.state}${s.detail ? ` (${s.detail})` : ''} at ${iso(s.at)} by ${s.stage}`);
  for (const h of s.history) console.log(`  ${iso(h.at)}  ${h.stage.padEnd(9)} ${h.state}${h.detail ? `  ${h.detail}` : ''}`);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  const config = loadRuntimeConfig('operator', withLocalStack());
  const kafka = createKafka(config);
  const codec = RegistryCodec.connect(config.registryUrl);
  const topics = topicNames(config.topicPrefix);

  if (command === 'status' && sub) {
    const s = findStatus(await readStatuses(kafka, codec, topics.status), sub);
    if (!s) {
      console.error(`no status for ${sub} (a document id 2.25.… or an event id)`);
      return 1;
    }
    printStatus(s);
    return 0;
  }
  if (command === 'follow') {
    const consumer = kafka.consumer({ groupId: `passerelle-follow-${randomUUID()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.status, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const s = await codec.decode<DocumentStatus>(topics.status, message.value);
        console.log(`${iso(s.at)}  ${s.documentId}  ${s.stage.padEnd(9)} ${s.state}${s.detail ? `  ${s.detail}` : ''}`);
      },
    });
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await consumer.disconnect();
    return 0;
  }
  if (command === 'dlq' && sub === 'list') {
    const code = option(rest, '--code');
    const letters = (await listDeadLetters(kafka, codec, topics)).filter((d) => !code || d.errorCode === code);
    for (const d of letters) {
      console.log(`${d.id}  ${d.errorCode}  ${d.replayed ? 'replayed' : 'waiting'}  attempt ${d.attempt}  first ${iso(d.firstFailureAt)}  event ${d.eventId ?? '?'}\n    ${d.errorMessage}`);
    }
    const counts = new Map<string, number>();
    for (const d of letters) if (!d.replayed) counts.set(d.errorCode, (counts.get(d.errorCode) ?? 0) + 1);
    console.log(`${letters.length} dead letters; waiting by code: ${[...counts].map(([c, n]) => `${c}=${n}`).join(', ') || 'none'}`);
    return 0;
  }
  if (command === 'dlq' && sub === 'replay') {
    const filter = { code: option(rest, '--code'), id: option(rest, '--id') };
    if (!filter.code && !filter.id && !rest.includes('--all')) {
      console.error('say which: --all, --code CODE or --id TOPIC:PARTITION:OFFSET');
      return 2;
    }
    const replayed = await replayDeadLetters(kafka, codec, topics, filter);
    for (const d of replayed) console.log(`replayed ${d.id} → ${d.originTopic}`);
    console.log(`${replayed.length} replayed (dead letters replayed before are skipped)`);
    return 0;
  }
  console.error(usage);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`passerelle: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
