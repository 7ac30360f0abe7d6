import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createTestPki } from '@passerelle/testing';
import { MssSimulator } from './simulator';

/**
 * Starts the MSSanté operator simulator on a port, for the demo and for trying a gateway by hand:
 *
 *   npx tsx test/mss-simulator/cli.ts --port 2587 --mailbox officine@pharmacie-italie.mssante.fr=750100208 [--pki DIR]
 *
 * With `--pki DIR` holding a test PKI made with server names (`tls/server.pem`), it uses it; otherwise it makes one
 * (in DIR, or a temporary folder) for the mailboxes' FINESS, and prints where the CA and the AUTH_CLI files are.
 * Commands on standard input switch its behaviour: `fail N [code]` (4xx for the next N mails), `reject [code]`,
 * `accept`, `down`, `up`, `latency MS`, `stats`. Each mail stored prints one line: its Message-ID, queue id and
 * number of recipients (never an address: a patient's is an INS).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '2587' },
      host: { type: 'string', default: '127.0.0.1' },
      pki: { type: 'string' },
      mailbox: { type: 'string', multiple: true, default: [] },
    },
  });
  const mailboxes: Record<string, string> = {};
  for (const entry of values.mailbox) {
    const [address, finess] = entry.split('=');
    if (!address || !finess) throw new Error('--mailbox takes address=FINESS');
    mailboxes[address] = finess;
  }
  const finessList = [...new Set(Object.values(mailboxes))];
  if (finessList.length === 0) throw new Error("name at least one --mailbox address=FINESS (the operator's directory)");
  const dir = values.pki ?? mkdtempSync(join(tmpdir(), 'mss-simulator-pki-'));
  let rootPem = join(dir, 'ca', 'root.pem');
  let server = { keyPem: join(dir, 'tls', 'server.key'), certPem: join(dir, 'tls', 'server.pem') };
  if (!existsSync(server.certPem)) {
    const pki = await createTestPki(dir, finessList, { serverNames: ['localhost', '127.0.0.1'], broken: false });
    rootPem = pki.rootPem;
    server = pki.server as typeof server;
  }
  const sim = new MssSimulator({
    key: readFileSync(server.keyPem),
    cert: readFileSync(server.certPem),
    clientCa: readFileSync(rootPem),
    mailboxes,
    host: values.host,
    port: Number(values.port),
    onReceived: (mail) =>
      console.log(
        `mail ${mail.messageId ?? '(no Message-ID)'} queued as ${mail.queueId}, ${mail.rcptTo.length} recipient(s), duplicates so far ${sim.duplicates()}`,
      ),
  });
  const port = await sim.listen();
  console.log(`MSSanté simulator on ${values.host}:${port} (STARTTLS, client certificate required)`);
  console.log(`CA: ${rootPem}; AUTH_CLI PKCS#12 files: ${join(dir, 'auth')} (passphrases beside them)`);

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const [command, arg, code] = line.trim().split(/\s+/);
    switch (command) {
      case 'fail':
        sim.failNext(Number(arg ?? 1), code ? Number(code) : undefined);
        break;
      case 'reject':
        sim.reject(arg ? Number(arg) : undefined);
        break;
      case 'accept':
        sim.acceptAgain();
        break;
      case 'down':
      case 'up':
        void sim.outage(command === 'down').then(() => console.log(command === 'down' ? 'connections refused' : 'accepting connections'));
        return;
      case 'latency':
        sim.latencyMs = Number(arg ?? 0);
        break;
      case 'stats':
        break;
      default:
        console.log('commands: fail N [code] | reject [code] | accept | down | up | latency MS | stats');
        return;
    }
    console.log(`received ${sim.received.length}, duplicates ${sim.duplicates()}, refused sessions ${sim.refusedSessions.length}`);
  });
  const stop = () => {
    commands.close();
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
