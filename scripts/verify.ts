/**
 * Verifies an IHE DSG submission signature against its document:
 *   npx tsx scripts/verify.ts <signature.xml> <cda.xml> [--trust <dir>] [--document-id <OID>]
 * Prints "valid" (exit 0) or "invalid" and one reason per line (exit 1). Trust anchors default to ./trust.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifySubmissionSignature } from '@passerelle/signature';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { trust: { type: 'string' }, 'document-id': { type: 'string' } },
});
const [signaturePath, cdaPath] = positionals;
if (!signaturePath || !cdaPath) {
  console.error('usage: npx tsx scripts/verify.ts <signature.xml> <cda.xml> [--trust <dir>] [--document-id <OID>]');
  process.exit(2);
}
const result = verifySubmissionSignature(readFileSync(signaturePath, 'utf8'), readFileSync(cdaPath), {
  trustAnchors: values.trust ?? 'trust',
  documentUniqueId: values['document-id'],
});
const facts = [
  `signer FINESS ${result.signerFiness ?? '?'}`,
  `document ${result.documentUniqueId ?? '?'}`,
  `submission set ${result.submissionSetUniqueId ?? '?'}`,
  `signed ${result.signingTime?.toISOString() ?? '?'}`,
  `${result.hash ?? '?'}/${result.canonicalization ?? '?'}`,
].join(', ');
if (result.valid) {
  console.log(`valid: ${facts}`);
} else {
  console.log(`invalid: ${facts}`);
  for (const reason of result.reasons) console.log(`  - ${reason}`);
  process.exit(1);
}
