/**
 * Test PKI for demos and tests (never production):
 *   npx tsx scripts/pki.ts --out <dir> --finess 750100208 [--finess …] [--no-broken]
 * Writes <dir>/<FINESS>.p12 + <FINESS>.pass (SIGN), <dir>/auth/ (AUTH_CLI), <dir>/trust/root.pem (trust anchor),
 * <dir>/ca/{root,intermediate}.pem, <dir>/broken/<variant>/<FINESS>.p12 (SIGN) and <dir>/auth-broken/<variant>/<FINESS>.p12
 * (AUTH_CLI) for the first FINESS.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestPki } from '@passerelle/testing';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    finess: { type: 'string', multiple: true },
    'no-broken': { type: 'boolean', default: false },
  },
});
const out = values.out ?? '';
const finessList = values.finess ?? [];
if (!out || finessList.length === 0) {
  console.error('usage: npx tsx scripts/pki.ts --out <dir> --finess <FINESS> [--finess <FINESS> …] [--no-broken]');
  process.exit(2);
}
async function main(): Promise<void> {
  const pki = await createTestPki(resolve(out), finessList, { broken: !values['no-broken'] });
  console.log(`key store:     ${pki.keyStoreDir} (${finessList.map((f) => `${f}.p12`).join(', ')}, passphrases in <FINESS>.pass)`);
  console.log(`AUTH_CLI:      ${pki.authDir}`);
  console.log(`trust anchors: ${pki.trustDir}`);
  console.log(`CA PEM files:  ${pki.rootPem}, ${pki.intermediatePem}`);
  if (pki.renewedDir) console.log(`renewed SIGN:  ${pki.renewedDir} (same FINESS, new key: for rotation)`);
  for (const [variant, dir] of Object.entries(pki.broken)) console.log(`broken ${variant}: ${dir}`);
  for (const [variant, dir] of Object.entries(pki.authBroken)) console.log(`broken AUTH_CLI ${variant}: ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
