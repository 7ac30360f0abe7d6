/**
 * The demo: the whole pipeline on the local stack with sample events, good and bad, and what became of each.
 *
 *   npm run demo
 *
 * 1. brings up the local stack (Kafka KRaft + Apicurio registry, `infra/stack.sh up`);
 * 2. makes a test PKI for the sample pharmacy (never real certificates);
 * 3. starts the DMP simulator (strict ITI-41 over mutual TLS) and the MSSanté operator simulator (SMTP with STARTTLS
 *    and a client certificate), and runs composer, signer, router, retrier, the dmp-gateway and the mss-gateway in
 *    this process (each with its own group and transactions);
 * 4. publishes the four sample events through the publisher an LGO would use, shows the publisher refusing an
 *    invalid event, then sends what a buggy LGO could send behind the publisher's back;
 * 5. prints, per event, its outcome (delivered to the DMP and to MSSanté mailboxes, parked, dead-lettered and why),
 *    then how to look at the topics.
 * The stack stays up afterwards for kcat and the operator commands; `bash infra/stack.sh down` stops it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childTraceparent, createKafka, createLogger, H, loadRuntimeConfig, RegistryCodec } from '@passerelle/kafka-runtime';
import { createPublisher, eventKey, InvalidEventError } from '@passerelle/publisher';
import { EVENT_TOPICS, type DocumentStatus, type EventTopic, type VaccinationEvent } from '@passerelle/schemas';
import { createTestPki } from '@passerelle/testing';
import { Partitioners } from 'kafkajs';
import pino from 'pino';
import { startLocalPipeline } from './local-pipeline';
import { LOCAL_BROKERS, LOCAL_REGISTRY } from './local-stack';
import { formatUsageText, isDone, mergeStatus, pipelineCodec, readUsage, routeProgress } from '@passerelle/pipeline';
import { isPatientMailbox, messageIdFor } from '@passerelle/mss';
import { startDmpSimulator } from '../test/dmp-simulator/simulator';
import { MssSimulator } from '../test/mss-simulator/simulator';

const LOCAL_STACK = { KAFKA_BROKERS: LOCAL_BROKERS, SCHEMA_REGISTRY_URL: LOCAL_REGISTRY };

const ROOT = join(__dirname, '..');
const PHARMACY = '750100208';
const PHARMACY_WITHOUT_CERTIFICATE = '330000001';
/** The sample pharmacy's applicative MSSanté mailbox (the fixtures'), in the operator simulator's directory */
const PHARMACY_MAILBOX = 'pharmacie.italie@pharmacie-italie.mssante.fr';

type Sample = 'vaccination' | 'dispensation' | 'medication-review' | 'pharmaceutical-interview';
const TOPIC: Record<Sample, EventTopic> = {
  vaccination: EVENT_TOPICS.vaccination,
  dispensation: EVENT_TOPICS.dispensation,
  'medication-review': EVENT_TOPICS.medicationReview,
  'pharmaceutical-interview': EVENT_TOPICS.medicationReview,
};

function sample<T = VaccinationEvent>(name: Sample): T & { eventId: string } {
  const event = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/events', `${name}.json`), 'utf8'));
  return { ...event, eventId: randomUUID() };
}

/** Event ids are shown by their first 8 characters, a prefix that `passerelle status` takes as it is. */
const SHORT_ID = 8;
const shortId = (eventId: string): string => eventId.slice(0, SHORT_ID);

function step(text: string): void {
  console.log(`\n\x1b[1m▶ ${text}\x1b[0m`);
}

async function main(): Promise<void> {
  step('Local stack (Kafka 4.1 KRaft + Apicurio registry)');
  const up = spawnSync('bash', [join(ROOT, 'infra/stack.sh'), 'up'], { stdio: 'inherit' });
  if (up.status !== 0) throw new Error('the local stack did not start (see infra/.run/logs)');
  // The stack just started: its addresses, whatever the environment says.
  const config = loadRuntimeConfig('demo', { ...process.env, ...LOCAL_STACK });

  step('Test PKI for the sample pharmacy');
  const pkiDir = join(ROOT, '.cache/demo/pki');
  const pki =
    existsSync(join(pkiDir, `${PHARMACY}.p12`)) &&
    existsSync(join(pkiDir, 'auth', `${PHARMACY}.p12`)) &&
    existsSync(join(pkiDir, 'tls', 'server.pem'))
      ? {
          keyStoreDir: pkiDir,
          trustDir: join(pkiDir, 'trust'),
          authDir: join(pkiDir, 'auth'),
          rootPem: join(pkiDir, 'ca', 'root.pem'),
          server: { keyPem: join(pkiDir, 'tls', 'server.key'), certPem: join(pkiDir, 'tls', 'server.pem') },
        }
      : await createTestPki(pkiDir, [PHARMACY], { broken: false, serverNames: ['localhost', '127.0.0.1'] });
  console.log(
    `  SIGN and AUTH_CLI certificates of FINESS ${PHARMACY} in ${pki.keyStoreDir}; none for FINESS ${PHARMACY_WITHOUT_CERTIFICATE}`,
  );

  step('DMP simulator: ITI-41 over mutual TLS, as strict as the DMP (every patient known, for the demo)');
  const dmp = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
  const serverCaFile = join(ROOT, '.cache/demo/dmp-server-ca.pem');
  mkdirSync(join(ROOT, '.cache/demo'), { recursive: true });
  writeFileSync(serverCaFile, dmp.caPem);
  console.log(`  ${dmp.repositoryUrl}`);

  step('MSSanté operator simulator: SMTP submission, STARTTLS, client certificate required and checked, DSN');
  const mss = MssSimulator.forTestPki(pki, { [PHARMACY_MAILBOX]: PHARMACY });
  const mssPort = await mss.listen();
  console.log(`  127.0.0.1:${mssPort}, the mailbox ${PHARMACY_MAILBOX} registered for FINESS ${PHARMACY}`);

  step('Services: composer, signer, router, retrier, dmp-gateway, mss-gateway (retry tiers 2s, 5s for the demo)');
  const quiet = pino(
    { level: 'warn' },
    pino.destination({ dest: join(ROOT, 'infra/.run/logs/demo-services.log'), sync: false, mkdir: true }),
  );
  const pipeline = await startLocalPipeline({
    keyStoreDir: pki.keyStoreDir,
    trustDir: pki.trustDir,
    tiers: '2s,5s',
    logger: quiet,
    env: LOCAL_STACK,
    dmp: { endpoint: dmp.repositoryUrl, serverCaFile, authDir: pki.authDir },
    mss: { host: '127.0.0.1', port: mssPort, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
  });
  const topics = pipeline.topics;
  console.log(`  running; their JSON logs go to infra/.run/logs/demo-services.log`);

  step('Publishing the samples through the publisher (what an LGO backend calls)');
  const publisher = createPublisher({ brokers: config.brokers, registryUrl: config.registryUrl, testPlatform: true });
  const cases: { label: string; eventId: string }[] = [];
  for (const name of ['vaccination', 'dispensation', 'medication-review', 'pharmaceutical-interview'] as Sample[]) {
    const event = sample(name);
    const r = await publisher.publish(TOPIC[name], event);
    console.log(`  ${name.padEnd(25)} → ${r.topic}[${r.partition}]@${r.offset}  key ${r.key}`);
    cases.push({ label: name, eventId: event.eventId });
  }
  const notQualified = sample('vaccination');
  notQualified.patient.identityStatus = 'VALIDEE';
  await publisher.publish(EVENT_TOPICS.vaccination, notQualified);
  cases.push({ label: 'identity not qualified', eventId: notQualified.eventId });
  const noCertificate = sample('vaccination');
  noCertificate.pharmacy.finess = PHARMACY_WITHOUT_CERTIFICATE;
  await publisher.publish(EVENT_TOPICS.vaccination, noCertificate);
  cases.push({ label: 'pharmacy without certificate', eventId: noCertificate.eventId });
  const hostile = sample('medication-review');
  hostile.patient.birthFamilyName = `O'BRIEN & FILS </family><x>`;
  await publisher.publish(EVENT_TOPICS.medicationReview, hostile);
  cases.push({ label: 'name full of XML metacharacters', eventId: hostile.eventId });

  const invalid = sample('vaccination');
  invalid.patient.ins.matricule = '279035121518988';
  invalid.patient.birthDate = '1979-02-30';
  try {
    await publisher.publish(EVENT_TOPICS.vaccination, invalid);
  } catch (err) {
    if (!(err instanceof InvalidEventError)) throw err;
    console.log(
      `  an invalid event is refused and nothing is published:\n    ${err.violations.map((v) => `${v.path}: ${v.rule}`).join('\n    ')}`,
    );
  }
  await publisher.close();

  step('What a buggy LGO could send behind the publisher’s back (straight to Kafka)');
  const kafka = createKafka({ ...config, clientId: 'passerelle-demo' });
  const codec = pipelineCodec(config.registryUrl, config.registryCa);
  // The partitioner named, as the publisher does: kafkajs warns on the console otherwise (its default changed in 2.0).
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const poisonId = randomUUID();
  await producer.send({
    topic: topics.vaccination,
    messages: [
      {
        key: eventKey(invalid),
        value: await codec.encode(topics.vaccination, { ...invalid, patient: { ...invalid.patient, birthDate: '1979-03-15' } }),
        headers: { [H.eventId]: invalid.eventId, [H.traceparent]: childTraceparent() },
      },
      { key: 'not-avro', value: Buffer.from('{"this is": "JSON, not Avro"}'), headers: { [H.eventId]: poisonId } },
    ],
  });
  await producer.disconnect();
  cases.push({ label: 'INS key wrong (bypassed publisher)', eventId: invalid.eventId });
  // No document to read from bytes that are not Avro: the status goes by the event-id header (the dead letter keeps the bytes).
  cases.push({ label: 'bytes that are not Avro', eventId: poisonId });
  console.log('  an event with a wrong INS key, and bytes that are not Avro');

  step('Following documents.status until every event has an outcome');
  console.log(
    `  (each line starts with the first ${SHORT_ID} characters of the event id: \`npx tsx scripts/passerelle.ts status <them>\` shows that document)`,
  );
  /**
   * The mailboxes a document's mails reached at the operator, recognised by their deterministic Message-ID; the
   * patient's is named for what it is, never by its address (that is the INS).
   */
  const mailboxesReached = (s: DocumentStatus): string[] =>
    mss.received
      .flatMap((m) => m.rcptTo.filter((to) => m.messageId === messageIdFor(s.documentId, to, m.mailFrom)))
      .map((to) => (isPatientMailbox(to) ? "the patient's Mon espace santé" : to))
      .filter((to, i, all) => all.indexOf(to) === i)
      .sort((a, b) => Number(b.startsWith('the ')) - Number(a.startsWith('the ')));
  const outcomes = await followStatuses(
    kafka,
    codec,
    topics.status,
    cases.map((c) => c.eventId),
    60_000,
  );
  console.log('');
  console.log(`  ${'event'.padEnd(36)} ${'id'.padEnd(SHORT_ID)}  ${'outcome'.padEnd(14)} where it went`);
  for (const c of cases) {
    const s = outcomes.get(c.eventId);
    const routes = s ? routeProgress(s) : [];
    // Delivered routes say so; the MSSanté recipients (each a route of its own) together, with the mailboxes the
    // operator received the mails in; a route not delivered says where it stands.
    const mssRoutes = routes.filter((r) => r.route.startsWith('mss:'));
    const mssDelivered = mssRoutes.filter((r) => r.state === 'delivered').length;
    const where = routes.length
      ? [
          ...routes
            .filter((r) => !r.route.startsWith('mss:') || r.state !== 'delivered')
            .map((r) => (r.state === 'delivered' ? `${r.route} delivered` : `${r.route} ${r.state}${r.detail ? ` ${r.detail}` : ''}`)),
          ...(mssDelivered > 0
            ? [`mss ${mssDelivered}/${mssRoutes.length} delivered → ${mailboxesReached(s as DocumentStatus).join(', ')}`]
            : []),
        ].join(', ')
      : (s?.detail ?? '');
    console.log(`  ${c.label.padEnd(36)} ${shortId(c.eventId)}  ${(s?.state ?? 'no outcome yet').padEnd(14)} ${where}`);
  }
  console.log(`  the DMP simulator stored ${dmp.submissionSets.size} submission sets`);
  console.log(`  the MSSanté simulator received ${mss.received.length} mails (${mss.duplicates()} duplicates by Message-ID)`);
  await pipeline.stop();
  await dmp.close();
  await mss.close();

  step('Usage indicators per pharmacy (what `passerelle usage` prints and the console shows)');
  const usage = (await readUsage(kafka, codec, topics.status)).report();
  for (const line of formatUsageText(usage).split('\n')) console.log(`  ${line}`);
  // The console's login token, made once for this machine's demo (git-ignored, like the rest of infra/.run).
  const tokenFile = join(ROOT, 'infra/.run/console-token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });

  const retried = cases.find((c) => c.label === 'pharmacy without certificate');
  step('Look at it yourself (the stack is still up)');
  const commands: [string, string][] = [
    [`npx tsx scripts/passerelle.ts status ${cases[0]?.eventId}`, `the ${cases[0]?.label}: its state and history`],
    [`npx tsx scripts/passerelle.ts status ${retried?.eventId}`, `the ${retried?.label}: each retry, attempt by attempt`],
    ['npx tsx scripts/passerelle.ts status <id>', `any id above: its first ${SHORT_ID} characters are enough`],
    ['npx tsx scripts/passerelle.ts follow', 'statuses as they happen'],
    ['npx tsx scripts/passerelle.ts dlq list', 'dead letters and their reasons'],
    ['npx tsx scripts/passerelle.ts usage --csv', "each pharmacy's usage indicators this month"],
    [
      `PASSERELLE_CONSOLE_TOKEN_FILE=infra/.run/console-token KAFKA_BROKERS=${LOCAL_BROKERS} SCHEMA_REGISTRY_URL=${LOCAL_REGISTRY} npx tsx services/console/src/main.ts`,
      'the web console on http://127.0.0.1:8088 (log in with the token in infra/.run/console-token)',
    ],
    ['npx tsx scripts/passerelle.ts dlq replay --code CERT_MISSING', `after adding ${PHARMACY_WITHOUT_CERTIFICATE}.p12 to the key store`],
    ['kcat -b 127.0.0.1:19092 -L', 'topics and partitions'],
    [`kcat -b 127.0.0.1:19092 -C -t documents.status -e -f '%k %T %h\\n'`, 'keys (document ids) and headers, no personal data'],
    [`kcat -b 127.0.0.1:19092 -C -t lgo.vaccination.v1.dlq -e -f '%h\\n'`, 'dead letters: error code, attempt, origin'],
    ['bash infra/stack.sh down', 'stop the stack'],
  ];
  // Comments aligned after the commands of ordinary length; a longer command gets its comment on the line above.
  const width = Math.max(...commands.map(([c]) => c.length).filter((n) => n <= 90));
  for (const [command, what] of commands) {
    if (command.length > width) console.log(`  # ${what}\n  ${command}`);
    else console.log(`  ${command.padEnd(width)}  # ${what}`);
  }
}

/** Reads statuses until each event is done (delivered or routed where no gateway delivers, parked, dead-lettered). */
async function followStatuses(
  kafka: ReturnType<typeof createKafka>,
  codec: RegistryCodec,
  topic: string,
  eventIds: string[],
  timeoutMs: number,
): Promise<Map<string, DocumentStatus>> {
  const latest = new Map<string, DocumentStatus>();
  const wanted = new Set(eventIds);
  const consumer = kafka.consumer({ groupId: `passerelle-demo-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const final = (s: DocumentStatus) => isDone(s);
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const s = await codec.decode<DocumentStatus>(topic, message.value);
      if (!wanted.has(s.eventId)) return;
      // Each gateway writes the history it knows: the document's state is the last record's, its history all of theirs.
      latest.set(s.eventId, mergeStatus(latest.get(s.eventId), s));
      const attempt = s.history.at(-1)?.attempt;
      console.log(
        `  ${new Date(s.at).toISOString().slice(11, 23)}  ${shortId(s.eventId)}  ${s.stage.padEnd(11)} ${s.state}${s.detail ? `  ${s.detail}` : ''}${attempt ? `  attempt ${attempt}` : ''}`,
      );
    },
  });
  const start = Date.now();
  while (Date.now() - start < timeoutMs && !eventIds.every((id) => latest.has(id) && final(latest.get(id) as DocumentStatus))) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await consumer.disconnect();
  return latest;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    createLogger('demo').error({ error: err instanceof Error ? err.message : String(err) }, 'demo failed');
    process.exit(1);
  },
);
