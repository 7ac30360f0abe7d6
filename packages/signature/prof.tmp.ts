import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalizeInclusive } from './src/inclusive-c14n';
import { createTestPki, KeyStore, signSubmission } from './src';
const xml = readFileSync('/work/shared/spec/cisis/ExemplesCDA/VAC-NOTE_2023.01.xml', 'utf8');
const t = (label: string, n: number, fn: () => void) => { for (let i = 0; i < 20; i++) fn(); const s = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); console.log(label, (Number(process.hrtime.bigint() - s) / 1e6 / n).toFixed(3), 'ms'); };
(async () => {
  t('fast c14n', 200, () => canonicalizeInclusive(xml, false));
  const pki = await createTestPki(mkdtempSync(join(tmpdir(), 'p-')), ['750803447'], { broken: false });
  const ks = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
  t('keystore', 200, () => ks.signingCredential('750803447'));
  const input = { documentXml: readFileSync('/work/shared/spec/cisis/ExemplesCDA/VAC-NOTE_2023.01.xml'), documentUniqueId: '1.2.3.4', finess: '750803447' };
  t('signSubmission', 200, () => signSubmission(input, ks));
})();
