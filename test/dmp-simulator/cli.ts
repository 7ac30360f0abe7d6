/**
 * Starts the DMP simulator on a port, for the demo and the local stack (never production):
 *   npx tsx test/dmp-simulator/cli.ts --pki <test PKI dir> [--port 8443] [--host 127.0.0.1]
 *       [--patient <INS matricule>]... [--any-patient] [--ca-out <file>] [--record <dir>]
 * `--pki` is the directory `scripts/pki.ts --out` wrote (its trust/ and ca/ name the CA that client certificates and
 * VIHF signers must chain to). `--ca-out` writes the simulator's server certificate, for the gateway's server CA
 * setting. `--record` keeps each ITI-41 request body for the external validator. Stops on SIGINT or SIGTERM.
 * It prints addresses and counts, never a patient's data.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDmpSimulator } from './simulator';

const { values } = parseArgs({
  options: {
    pki: { type: 'string' },
    port: { type: 'string', default: '8443' },
    host: { type: 'string', default: '127.0.0.1' },
    patient: { type: 'string', multiple: true },
    'any-patient': { type: 'boolean', default: false },
    'ca-out': { type: 'string' },
    record: { type: 'string' },
  },
});
if (!values.pki) {
  console.error(
    'usage: npx tsx test/dmp-simulator/cli.ts --pki <dir> [--port 8443] [--patient <matricule>]... [--any-patient] [--ca-out <file>] [--record <dir>]',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const sim = await startDmpSimulator({
    pkiDir: resolve(values.pki as string),
    port: Number(values.port),
    host: values.host,
    patients: values.patient ?? [],
    anyPatient: values['any-patient'],
    ...(values.record ? { recordDir: resolve(values.record) } : {}),
  });
  if (values['ca-out']) writeFileSync(values['ca-out'], sim.caPem);
  console.log(`DMP simulator: repository ${sim.repositoryUrl}, registry ${sim.registryUrl}`);
  console.log(
    `known patients: ${values['any-patient'] ? 'any' : (values.patient ?? []).length}; server certificate: ${values['ca-out'] ?? '(not written)'}`,
  );
  const stop = () => {
    console.log(`stopping: ${sim.received.length} requests, ${sim.submissionSets.size} submission sets stored`);
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
