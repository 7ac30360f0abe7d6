/**
 * The mss-gateway's CPU per message: `npx tsx scripts/bench/mss.bench.ts [--records 300] [--concurrency 4]`.
 * The MSSanté operator simulator runs in a child process (its CPU is not counted); this process handles prepared
 * `mss.messages` records with the gateway's own handler and @passerelle/mss, as the service does (the record's checks,
 * the AUTH_CLI credential, one SMTP connection per record with STARTTLS and the client certificate, one transaction
 * per recipient with its Message-ID and DSN request, the status record), `--concurrency` records at a time. Two
 * records in three go to two professionals, one in three to the patient (3 recipients per 2 records… see the
 * output). Kafka is not included: the stage's cost per record with its client is in the pipeline benchmark. Prints
 * CPU ms per record and per mail (user + system of this process), mails per second of wall time, the load average
 * and `openssl speed rsa2048` measured in the same run; writes the figures as JSON to
 * scripts/bench/results/mss-gateway-<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Breaker, type InputRecord } from '@passerelle/kafka-runtime';
import { deliverMessage } from '@passerelle/mss';
import { topicNames } from '@passerelle/pipeline';
import type { MssMessage } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { createTestPki } from '@passerelle/testing';
import { MssCredentials } from '../../services/mss-gateway/src/credentials';
import { mssGatewayHandler } from '../../services/mss-gateway/src/handler';
import { FINESS, type FixtureKind } from '../../test/dmp-simulator/submissions';
import { freePort } from '../../test/faults/supervisor';
import { FROM, makeMssMessage, routeFor } from '../../test/mss-simulator/messages';
import { opensslSignsPerSecond } from './openssl';

const USAGE = 'usage: npx tsx scripts/bench/mss.bench.ts [--records 300] [--concurrency 4]';
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const RECORDS = Number(values.records);
const CONCURRENCY = Number(values.concurrency);
const WARM_UP = 15;
const ROOT = resolve(__dirname, '..', '..');
const KINDS: FixtureKind[] = ['vaccination', 'medication-review', 'pharmaceutical-interview'];

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'mss-bench-'));
  const pkiDir = join(work, 'pki');
  const pki = await createTestPki(pkiDir, [FINESS], { serverNames: ['localhost', '127.0.0.1'], broken: false, modulusLength: 2048 });
  const port = await freePort();
  const sim = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/mss-simulator/cli.ts'), '--pki', pkiDir, '--port', String(port), '--mailbox', `${FROM}=${FINESS}`],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((ready, reject) => {
      const timer = setTimeout(() => reject(new Error('the MSSanté simulator did not start within 60 s')), 60_000);
      sim.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('MSSanté simulator on')) {
          clearTimeout(timer);
          ready();
        }
      });
      sim.once('exit', (code) => reject(new Error(`the MSSanté simulator exited (${code})`)));
    });
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const records: MssMessage[] = [];
    for (let i = 0; i < RECORDS + WARM_UP; i++)
      records.push(
        await makeMssMessage(KINDS[i % KINDS.length] as FixtureKind, keyStore, routeFor(i % 3 === 2 ? 'patient' : 'professionals')),
      );
    keyStore.close();
    const credentials = new MssCredentials({ dir: pki.authDir, trustDir: pki.trustDir, env: process.env });
    const smtp = { host: '127.0.0.1', port, servername: 'localhost', serverCa: readFileSync(pki.rootPem, 'utf8') };
    const handle = mssGatewayHandler({
      topics: topicNames('bench.'),
      breaker: new Breaker(),
      deliver: (message, recipients) =>
        deliverMessage(
          message,
          { smtp, credential: credentials.credential(message.authorFiness), trustAnchors: credentials.trustAnchors, testPlatform: true },
          recipients ? { recipients } : {},
        ),
    });
    const input = (value: MssMessage): InputRecord<MssMessage> => ({
      topic: 'bench.mss.messages',
      partition: 0,
      offset: '0',
      key: Buffer.from(value.documentId),
      headers: {},
      value,
      raw: {} as never,
    });
    const run = async (batch: MssMessage[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batch.length) {
            const m = batch[next++];
            if (!m) continue;
            const out = await handle(input(m));
            if (!Array.isArray(out) || out.length !== 1) throw new Error('a record was not delivered');
          }
        }),
      );
    };
    await run(records.slice(0, WARM_UP)); // JIT, TLS, the credential
    const measured = records.slice(WARM_UP);
    const mails = measured.reduce((n, m) => n + m.to.length, 0);
    const loadStart = loadavg();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run(measured);
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const loadEnd = loadavg();
    credentials.close();
    const openssl = opensslSignsPerSecond();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const result = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      loadAverage: { start: loadStart, end: loadEnd },
      records: RECORDS,
      mails,
      concurrency: CONCURRENCY,
      cpuMsPerRecord: Number((cpuMs / RECORDS).toFixed(3)),
      cpuMsPerMail: Number((cpuMs / mails).toFixed(3)),
      mailsPerSecond: Number((mails / wallS).toFixed(1)),
      opensslSignPerSecond: openssl,
    };
    console.log(
      `machine: ${result.machine.cpus} cores (${result.machine.model}), Node ${result.machine.node}; load ${loadStart.map((l) => l.toFixed(2)).join(' ')} → ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`,
    );
    console.log(
      `mss-gateway handler: ${result.cpuMsPerRecord} ms CPU per record, ${result.cpuMsPerMail} ms per mail (${RECORDS} records, ${mails} mails, ${CONCURRENCY} in flight), ${result.mailsPerSecond} mails/s wall`,
    );
    console.log(`openssl speed rsa2048: ${openssl} sign/s on one core (the reference for this run)`);
    const dir = join(ROOT, 'scripts/bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `mss-gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    sim.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`mss bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
