/**
 * Signs a CDA document's submission (IHE DSG, enveloping XAdES-BES) and prints the signature document:
 *   npx tsx scripts/sign.ts <cda.xml> --finess <FINESS> --keystore <dir> [--trust <dir>] [--document-id <OID>]
 *     [--submission-set-id <OID>] [--hash sha256|sha1|sha512] [--c14n c14n|c14n-with-comments|exc-c14n|…]
 * The document id defaults to the CDA's ClinicalDocument/id/@root; the trust anchors to <keystore>/trust.
 * Passphrases come from PASSERELLE_P12_PASSPHRASE_<FINESS> or <keystore>/<FINESS>.pass. Exit 1 with the error
 * code when the certificate is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOMParser, type Element } from '@xmldom/xmldom';
import {
  CertificateError,
  KeyStore,
  SignatureInputError,
  signSubmission,
  type Canonicalization,
  type HashName,
} from '@passerelle/signature';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    finess: { type: 'string' },
    keystore: { type: 'string' },
    trust: { type: 'string' },
    'document-id': { type: 'string' },
    'submission-set-id': { type: 'string' },
    hash: { type: 'string' },
    c14n: { type: 'string' },
  },
});
const [cdaPath] = positionals;
if (!cdaPath || !values.finess || !values.keystore) {
  console.error('usage: npx tsx scripts/sign.ts <cda.xml> --finess <FINESS> --keystore <dir> [--trust <dir>] [--document-id <OID>]');
  process.exit(2);
}
const documentXml = readFileSync(cdaPath);
let documentUniqueId = values['document-id'];
if (!documentUniqueId) {
  // The CDA's own id (root only, as the DMP sample's uniqueId): the document entry's uniqueId by default.
  const doc = new DOMParser().parseFromString(documentXml.toString('utf8').replace(/^\uFEFF/, ''), 'text/xml');
  const id = Array.from(doc.documentElement?.childNodes ?? []).find((n) => n.nodeType === 1 && (n as Element).localName === 'id') as
    Element | undefined;
  documentUniqueId = id?.getAttribute('extension') ? undefined : (id?.getAttribute('root') ?? undefined);
  if (!documentUniqueId) {
    console.error('the CDA id is not a bare OID: pass --document-id <OID>');
    process.exit(2);
  }
}
try {
  const keyStore = new KeyStore({ dir: values.keystore, trustAnchors: values.trust ?? join(values.keystore, 'trust') });
  const signed = signSubmission(
    {
      documentXml,
      documentUniqueId,
      submissionSetUniqueId: values['submission-set-id'],
      finess: values.finess,
      options: { hash: values.hash as HashName | undefined, canonicalization: values.c14n as Canonicalization | undefined },
    },
    keyStore,
  );
  process.stdout.write(signed.signatureXml);
  process.stderr.write(
    `signed: document ${signed.documentUniqueId}, submission set ${signed.submissionSetUniqueId}, FINESS ${signed.signerFiness}, ${signed.hash}/${signed.canonicalization}\n`,
  );
} catch (error) {
  if (error instanceof CertificateError || error instanceof SignatureInputError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
