/**
 * Signing throughput on one core, beside OpenSSL's own figure on the same machine (DESIGN §8: target ≥ 0.8 ×
 * `openssl speed rsa2048`):
 *   npx tsx scripts/bench/sign.bench.ts [--seconds 3] [--rounds 3] [--document <cda.xml>]
 * Measures (1) the raw RSA-2048 signature through node:crypto with the key store's KeyObject, (2) the whole
 * signSubmission of a typical CDA (parse + C14N + digests + certificate checks + RSA + serialisation), then runs
 * `openssl speed -seconds <s> rsa2048` and prints the ratios. Everything runs sequentially on the main thread.
 * Rates are per second of user CPU time, as `openssl speed` reports them. The three measurements are interleaved over several rounds and the medians reported, so that a load change on a
 * shared machine hits all three alike.
 */
import { execFileSync } from 'node:child_process';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyStore, signSubmission } from '@passerelle/signature';
import { createTestPki } from '@passerelle/testing';
import { opensslSignsPerSecond } from './openssl';

const USAGE = `usage: npx tsx scripts/bench/sign.bench.ts [--seconds 3] [--rounds 3] [--document <cda.xml>]
Signing throughput on one core (raw RSA-2048 through node:crypto, the whole signSubmission) beside openssl speed rsa2048.`;
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    document: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const cisisDir = process.env.CISIS_DIR ?? resolve(__dirname, '../../../shared/spec/cisis');
const documentPath = values.document ?? join(cisisDir, 'ExemplesCDA/VAC-NOTE_2023.01.xml');
const FINESS = '750803447'; // the author organisation of the VAC-NOTE example

/**
 * Operations per second of user CPU time, run for `seconds` of wall time. `openssl speed` counts the same way by
 * default (user time, unless -elapsed), so on a shared, loaded machine both figures stay comparable.
 */
function rate(fn: () => void): { perSecond: number; count: number } {
  for (let i = 0; i < 50; i += 1) fn(); // warm-up (JIT, OpenSSL key caches)
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const cpuStart = process.cpuUsage();
  let count = 0;
  while (process.hrtime.bigint() < deadline) {
    fn();
    count += 1;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { perSecond: count / (cpu.user / 1e6), count };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sign-bench-'));
  try {
    const pki = await createTestPki(dir, [FINESS], { broken: false });
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const documentXml = readFileSync(documentPath);
    const input = { documentXml, documentUniqueId: '1.2.250.1.999.1.1.7898.4.1', finess: FINESS };
    const privateKey = keyStore.signingCredential(FINESS).privateKey;
    const signedInfo = Buffer.from(signSubmission(input, keyStore).signatureXml.split('<SignatureValue>')[0] as string);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const rawRates: number[] = [];
    const wholeRates: number[] = [];
    const opensslRates: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      opensslRates.push(opensslSignsPerSecond(seconds));
      rawRates.push(rate(() => sign('sha256', signedInfo, privateKey)).perSecond);
      wholeRates.push(rate(() => signSubmission(input, keyStore)).perSecond);
    }
    const raw = { perSecond: median(rawRates) };
    const whole = { perSecond: median(wholeRates) };
    const openssl = median(opensslRates);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const fmt = (n: number) => n.toFixed(1).padStart(8);
    console.log(
      `machine: ${availableParallelism()} cores (${cpu}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `document: ${documentPath} (${(documentXml.length / 1024).toFixed(1)} KB), RSA-2048, SHA-256, C14N; medians of ${rounds} interleaved rounds of ${seconds} s, per user-CPU second on one core`,
    );
    console.log(
      `rounds (openssl / raw / whole): ${opensslRates.map((o, i) => `${o.toFixed(0)}/${rawRates[i]?.toFixed(0)}/${wholeRates[i]?.toFixed(0)}`).join(', ')}`,
    );
    console.log('| what                                   | signatures/s | × openssl |');
    console.log('|----------------------------------------|-------------:|----------:|');
    console.log(`| openssl speed -seconds ${seconds} rsa2048 (sign/s) | ${fmt(openssl)}     |     1.00  |`);
    console.log(
      `| node:crypto sign (raw RSA-2048)        | ${fmt(raw.perSecond)}     | ${(raw.perSecond / openssl).toFixed(2).padStart(8)}  |`,
    );
    console.log(
      `| signSubmission (whole signature)       | ${fmt(whole.perSecond)}     | ${(whole.perSecond / openssl).toFixed(2).padStart(8)}  |`,
    );
    console.log(`ratio raw node:crypto RSA / openssl = ${(raw.perSecond / openssl).toFixed(2)} (target ≥ 0.80)`);
    console.log(`ratio signSubmission / openssl = ${(whole.perSecond / openssl).toFixed(2)} (target ≥ 0.80)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
