/**
 * Operator commands (DESIGN §7):
 *   passerelle status <id>                         one document's current state and history, retries included; <id> is
 *                                                  a document id (2.25.…), an event id, or a unique prefix of either
 *                                                  (8 characters or more, as the demo prints them)
 *   passerelle follow                              statuses as they happen (Ctrl-C to stop)
 *   passerelle dlq list [--code CODE]              dead letters with their reasons
 *   passerelle dlq replay (--all | --code CODE | --id TOPIC:PARTITION:OFFSET)   after the cause is fixed; idempotent
 *   passerelle usage [--finess F] [--month YYYY-MM] [--json | --csv]   each pharmacy's usage indicators per month
 *                                                  (REFERENCE §8): rate, target, met or not, how many more documents
 * Connection: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX (default: the local stack, 127.0.0.1:19092 and its
 * registry, no prefix). Both are checked
 * first: one that does not answer ends the command within seconds with one line (what, where, what to do). kafkajs's
 * own log lines are left out unless LOG_LEVEL=warn (or lower).
 * Prints ids, states, error codes and times: never personal data. Exit codes: 0 done, 1 not found, ambiguous,
 * unreachable or failed, 2 bad usage.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { createKafka, loadRuntimeConfig } from '@passerelle/kafka-runtime';
import { type DocumentStatus, type StatusEntry } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';
import { LOCAL_BROKERS, START_LOCAL_STACK, withLocalStack } from './local-stack';
import {
  commandLogger,
  formatUsageCsv,
  formatUsageText,
  isDone,
  listDeadLetters,
  matchStatus,
  MIN_ID_PREFIX,
  normaliseId,
  pipelineCodec,
  readStatuses,
  readUsage,
  replayDeadLetters,
  routeProgress,
  topicNames,
} from '@passerelle/pipeline';

const usage = `usage:
  passerelle status <document-id | event-id | a prefix of either, 8 characters or more>
  passerelle follow
  passerelle dlq list [--code CODE]
  passerelle dlq replay (--all | --code CODE | --id TOPIC:PARTITION:OFFSET)
  passerelle usage [--finess F] [--month YYYY-MM] [--json | --csv]
connection: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX (default: the local stack, ${LOCAL_BROKERS})`;

/** A failure the command explains in one line: what failed, where, what to do. */
class CommandError extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();

/** A state with its error code (or routes) and, for a failure, which attempt it was. */
const describe = (h: Pick<StatusEntry, 'state' | 'detail' | 'attempt'>) =>
  [h.state.padEnd(13), h.attempt ? `attempt ${h.attempt}` : '', h.detail ?? ''].filter(Boolean).join('  ').trimEnd();

/** The history entry of the status's own record (the attempt is recorded there). */
const current = (s: DocumentStatus): StatusEntry | undefined =>
  s.history.findLast((h) => h.at === s.at && h.state === s.state && h.stage === s.stage);

function printStatus(s: DocumentStatus): void {
  const attempt = current(s)?.attempt;
  const why = [s.detail, attempt ? `attempt ${attempt}` : ''].filter(Boolean).join(', ');
  console.log(`document ${s.documentId}  (event ${s.eventId})`);
  console.log(`  now: ${s.state}${why ? ` (${why})` : ''} at ${iso(s.at)} by ${s.stage}${isDone(s) ? '' : '  (not done yet)'}`);
  for (const r of routeProgress(s)) {
    const note = r.delivered ? '' : '  (no gateway yet: ends on its topic)';
    console.log(`  route ${r.route.padEnd(18)} ${r.state}${r.detail ? `  ${r.detail}` : ''}${note}`);
  }
  for (const h of s.history) console.log(`  ${iso(h.at)}  ${h.stage.padEnd(11)} ${describe(h)}`);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Undefined when something accepts a TCP connection on `host:port`, else why not. */
function tcpProblem(address: string, timeoutMs = 3_000): Promise<string | undefined> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const socket = connect({ host, port: Number(address.slice(i + 1)), timeout: timeoutMs });
  return new Promise<string | undefined>((resolve) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('timeout', () => resolve(`no answer within ${timeoutMs / 1000} s`));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.message || (err.code ?? String(err))));
  }).finally(() => socket.destroy());
}

/**
 * The broker answers: something listens on one of its addresses (kafkajs would retry a refused connection for
 * half a minute), and a Kafka session opens within seconds. Returns the cluster's topics.
 */
async function checkBroker(kafka: Kafka, brokers: string[]): Promise<string[]> {
  const problems = await Promise.all(brokers.map((b) => tcpProblem(b)));
  if (problems.every(Boolean)) {
    throw new CommandError(`Kafka broker unreachable at ${brokers.join(',')} (${problems[0]}): ${START_LOCAL_STACK}, or set KAFKA_BROKERS`);
  }
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      admin.connect().then(() => admin.listTopics()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no Kafka session within 10 s')), 10_000);
      }),
    ]);
  } catch (err) {
    throw new CommandError(
      `Kafka broker at ${brokers.join(',')} does not answer as Kafka (${(err as Error).message}): check KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_*`,
    );
  } finally {
    clearTimeout(timer);
    // Not awaited: after a failure kafkajs may still be retrying the connection, and the command ends there.
    void admin.disconnect().catch(() => undefined);
  }
}

/** The registry answers its Confluent-compatible API (`GET <url>/subjects`). */
async function checkRegistry(url: string, timeoutMs = 5_000): Promise<void> {
  const status = await new Promise<number | string>((resolve) => {
    const request = (url.startsWith('https:') ? https : http).get(`${url.replace(/\/+$/, '')}/subjects`, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.once('error', (err: NodeJS.ErrnoException) => resolve(err.message || (err.code ?? String(err))));
  });
  if (typeof status === 'string') {
    throw new CommandError(`schema registry unreachable at ${url} (${status}): ${START_LOCAL_STACK}, or set SCHEMA_REGISTRY_URL`);
  }
  if (status !== 200) {
    throw new CommandError(
      `schema registry at ${url} answered HTTP ${status} to GET /subjects: set SCHEMA_REGISTRY_URL to its Confluent-compatible API (…/apis/ccompat/v7)`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  const known =
    (command === 'status' && sub) ||
    (command === 'follow' && !sub) ||
    (command === 'dlq' && (sub === 'list' || sub === 'replay')) ||
    command === 'usage';
  if (!known) {
    console.error(usage);
    return 2;
  }
  if (command === 'status' && normaliseId(sub ?? '').length < MIN_ID_PREFIX) {
    console.error(`"${sub}" is too short: give a document id (2.25.…), an event id, or at least ${MIN_ID_PREFIX} characters of one`);
    return 2;
  }
  const usageArgs = command === 'usage' ? [sub, ...rest].filter((a): a is string => a !== undefined) : [];
  const usageFilter = { finess: option(usageArgs, '--finess'), month: option(usageArgs, '--month') };
  if (command === 'usage' && usageFilter.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(usageFilter.month)) {
    console.error(`--month ${usageFilter.month}: give a month as YYYY-MM`);
    return 2;
  }
  if (command === 'usage' && usageArgs.includes('--json') && usageArgs.includes('--csv')) {
    console.error('--json or --csv, not both');
    return 2;
  }
  const replayFilter = { code: option(rest, '--code'), id: option(rest, '--id') };
  if (sub === 'replay' && !replayFilter.code && !replayFilter.id && !rest.includes('--all')) {
    console.error('say which: --all, --code CODE or --id TOPIC:PARTITION:OFFSET');
    return 2;
  }

  const config = loadRuntimeConfig('operator', withLocalStack());
  const kafka = createKafka(config, commandLogger('passerelle', process.env.LOG_LEVEL ?? 'error'));
  const existing = await checkBroker(kafka, config.brokers);
  await checkRegistry(config.registryUrl);
  const codec = pipelineCodec(config.registryUrl, config.registryCa);
  const prefix = config.topicPrefix;
  const topics = topicNames(prefix);
  // The services create every topic of a deployment when they start: without this one, nothing has run here.
  const needed = command === 'dlq' ? topics.replayed : topics.status;
  if (!existing.includes(needed)) {
    throw new CommandError(
      `no topic ${needed} on ${config.brokers.join(',')}: no Passerelle service has run there with PASSERELLE_TOPIC_PREFIX='${prefix}'`,
    );
  }

  if (command === 'status' && sub) {
    const statuses = await readStatuses(kafka, codec, topics.status);
    const found = matchStatus(statuses, sub);
    const id = normaliseId(sub);
    if (found.kind === 'found') {
      printStatus(found.status);
      return 0;
    }
    if (found.kind === 'ambiguous') {
      const shown = found.candidates.slice(0, 20);
      console.error(`${id} is the start of ${found.candidates.length} documents' ids; give more characters of one of them:`);
      for (const s of shown) console.error(`  ${s.documentId}  event ${s.eventId}`);
      if (found.candidates.length > shown.length) console.error(`  … and ${found.candidates.length - shown.length} more`);
      return 1;
    }
    console.error(
      `no status for ${id}: no document id or event id in ${topics.status} is or starts with it (${statuses.size} documents searched on ${config.brokers.join(',')})`,
    );
    return 1;
  }
  if (command === 'usage') {
    const report = (await readUsage(kafka, codec, topics.status)).report(usageFilter);
    if (usageArgs.includes('--json')) console.log(JSON.stringify(report, null, 2));
    else if (usageArgs.includes('--csv')) console.log(formatUsageCsv(report));
    else console.log(formatUsageText(report));
    return 0;
  }
  if (command === 'follow') {
    const consumer = kafka.consumer({ groupId: `passerelle-follow-${randomUUID()}`, readUncommitted: false });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!joined) console.log(`following ${topics.status} on ${config.brokers.join(',')}: waiting for statuses (Ctrl-C to stop)`);
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.status, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const s = await codec.decode<DocumentStatus>(topics.status, message.value);
        console.log(`${iso(s.at)}  ${s.documentId}  ${s.stage.padEnd(11)} ${describe({ ...s, attempt: current(s)?.attempt ?? null })}`);
      },
    });
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await consumer.disconnect();
    return 0;
  }
  if (sub === 'list') {
    const code = option(rest, '--code');
    const letters = (await listDeadLetters(kafka, codec, topics)).filter((d) => !code || d.errorCode === code);
    for (const d of letters) {
      console.log(
        `${d.id}  ${d.errorCode}  ${d.replayed ? 'replayed' : 'waiting'}  attempt ${d.attempt}  first ${iso(d.firstFailureAt)}  event ${d.eventId ?? '?'}\n    ${d.errorMessage}`,
      );
    }
    const counts = new Map<string, number>();
    for (const d of letters) if (!d.replayed) counts.set(d.errorCode, (counts.get(d.errorCode) ?? 0) + 1);
    console.log(`${letters.length} dead letters; waiting by code: ${[...counts].map(([c, n]) => `${c}=${n}`).join(', ') || 'none'}`);
    return 0;
  }
  const replayed = await replayDeadLetters(kafka, codec, topics, replayFilter);
  for (const d of replayed) console.log(`replayed ${d.id} → ${d.originTopic}`);
  console.log(`${replayed.length} replayed (dead letters replayed before are skipped)`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line: our own message, or the first line of another error's (never its stack).
    const text = err instanceof Error ? err.message : String(err);
    console.error(`passerelle: ${err instanceof CommandError ? text : text.split('\n')[0]}`);
    process.exit(1);
  },
);
