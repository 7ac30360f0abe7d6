import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../../test/support/tools';

/** What xmlsec1 says about a signature, read from its output rather than its exit code. */
export interface XmlsecVerdict {
  /** xmlsec1's exit code: 0 even when a Manifest reference fails (XML-DSig leaves manifests to the application). */
  exitCode: number;
  signedInfo: { ok: number; all: number } | undefined;
  manifest: { ok: number; all: number } | undefined;
  /** Status of each Manifest reference by URI, from `--print-debug` ("succeeded" or "invalid"). */
  manifestReferences: Map<string, string>;
  output: string;
}

export interface XmlsecInput {
  signatureXml: string;
  /** The document bytes that `urn:oid:<documentUniqueId>` resolves to. */
  document: string | Buffer;
  documentUniqueId: string;
  submissionSetUniqueId: string;
  /** Trusted CA certificates (PEM files). */
  trustedPem?: string[];
  untrustedPem?: string[];
  /** Skip certificate checks (for the DMP sample, whose certificate has expired and whose root we do not have). */
  insecure?: boolean;
}

/**
 * Runs `xmlsec1 --verify` the way REFERENCE §5 says: Ids declared for Manifest and SignedProperties, the document's
 * and the submission set's `urn:oid:` URIs mapped to files (the submission set to an empty file: its placeholder
 * digest never verifies).
 */
export function xmlsecVerify(input: XmlsecInput): XmlsecVerdict {
  const dir = mkdtempSync(join(tmpdir(), 'xmlsec-'));
  try {
    const signaturePath = join(dir, 'signature.xml');
    const documentPath = join(dir, 'document.xml');
    const emptyPath = join(dir, 'submission-set.bin');
    writeFileSync(signaturePath, input.signatureXml);
    writeFileSync(documentPath, input.document);
    writeFileSync(emptyPath, '');
    const args = ['--verify', '--print-debug', '--id-attr:Id', 'Manifest', '--id-attr:Id', 'SignedProperties'];
    for (const pem of input.trustedPem ?? []) args.push('--trusted-pem', pem);
    for (const pem of input.untrustedPem ?? []) args.push('--untrusted-pem', pem);
    if (input.insecure) args.push('--insecure');
    args.push(`--url-map:urn:oid:${input.submissionSetUniqueId}`, emptyPath);
    args.push(`--url-map:urn:oid:${input.documentUniqueId}`, documentPath);
    args.push(signaturePath);
    // Throws, naming the package, when xmlsec1 is not installed; its exit status is read below.
    const run = runTool('xmlsec1', args);
    const output = `${run.stdout}\n${run.stderr}`;
    const counts = (label: string) => {
      const match = new RegExp(`${label} References \\(ok/all\\): (\\d+)/(\\d+)`).exec(output);
      return match ? { ok: Number(match[1]), all: Number(match[2]) } : undefined;
    };
    const manifestReferences = new Map<string, string>();
    const manifestSection = run.stdout.split('== Manifest References List:')[1] ?? '';
    for (const block of manifestSection.split('= REFERENCE VERIFICATION CONTEXT').slice(1)) {
      const status = /== Status: (\w+)/.exec(block)?.[1];
      const uri = /== URI: "([^"]*)"/.exec(block)?.[1];
      if (status && uri) manifestReferences.set(uri, status);
    }
    return {
      exitCode: run.status,
      signedInfo: counts('SignedInfo'),
      manifest: counts('Manifests'),
      manifestReferences,
      output,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
