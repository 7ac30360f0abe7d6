/**
 * What the signer's key store costs in memory and time per pharmacy (DESIGN §8: < 200 MB per service with 2,000
 * pharmacies' certificates):
 *   node --expose-gc --import tsx scripts/bench/keystore.bench.ts [--pharmacies 2000] [--keys 200] [--pki-dir DIR]
 * Loads every pharmacy's credential (the load tool's test PKI, made on first use in .cache/load-pki), then prints
 * the heap, external memory and RSS it added (after a full collection), per pharmacy, and the CPU time of loading.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyStore } from '@passerelle/signature';
import { loadPki } from '../load/pki';

const USAGE = `usage: node --expose-gc --import tsx scripts/bench/keystore.bench.ts [--pharmacies 2000] [--keys 200] [--pki-dir DIR]
Memory (heap, external, RSS) and CPU time per pharmacy of the signer's key store with every credential loaded.`;

const { values } = parseArgs({
  options: {
    pharmacies: { type: 'string', default: '2000' },
    keys: { type: 'string', default: '200' },
    'pki-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error(`run with node --expose-gc\n${USAGE}`);
  process.exit(2);
}

function memory(): { heap: number; external: number; rss: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

async function main(): Promise<void> {
  const pharmacies = Number(values.pharmacies);
  const keys = Number(values.keys);
  const dir = values['pki-dir'] ?? resolve(__dirname, '../../.cache/load-pki', `${pharmacies}-${keys}`);
  const pki = await loadPki(dir, pharmacies, keys);
  const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: join(pki.keyStoreDir, 'trust'), rotationCheckMs: 0 });
  const before = memory();
  const cpu = process.cpuUsage();
  const refused = new Map<string, number>();
  for (const finess of pki.finess) {
    try {
      keyStore.signingCredential(finess);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown';
      refused.set(code, (refused.get(code) ?? 0) + 1);
    }
  }
  const used = process.cpuUsage(cpu);
  const after = memory();
  const per = (bytes: number) => `${(bytes / pki.finess.length / 1024).toFixed(1)} KiB`;
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${pki.finess.length} pharmacies loaded (${keys} distinct keys), ${((used.user + used.system) / 1000 / pki.finess.length).toFixed(2)} ms CPU each`,
  );
  if (refused.size > 0) console.log(`refused by the key store (kept as errors): ${[...refused].map(([c, n]) => `${n} ${c}`).join(', ')}`);
  console.log('| per pharmacy | heap | external | RSS |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| added by the loaded credentials | ${per(after.heap - before.heap)} | ${per(after.external - before.external)} | ${per(after.rss - before.rss)} |`,
  );
  console.log(`process RSS with every pharmacy loaded: ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
  keyStore.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
