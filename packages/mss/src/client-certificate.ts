import { createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto';
import {
  CertificateError,
  certificatesFromPem,
  chainError,
  checkCredentialDates,
  finessFromSubject,
  readPkcs12,
  type CertificateInfo,
} from '@passerelle/signature';

/**
 * The pharmacy's AUTH_CLI certificate, with which its applicative MSSanté mailbox authenticates to the operator
 * (REFERENCE §9: mutual TLS on SMTP submission). Read once, checked before every connection.
 */
export interface ClientCredential {
  /** A label for errors and statuses: the FINESS the caller filed the credential under, else the certificate's */
  finess: string;
  /** FINESS found in the certificate's subject (OU=1<FINESS>), if any */
  certificateFiness: string | undefined;
  /** The private key, PEM (PKCS#8), for the TLS handshake */
  keyPem: string;
  /** The certificate then its issuers, PEM, as sent in the handshake */
  certChainPem: string;
  /** The same chain, parsed */
  chain: CertificateInfo[];
}

/** Where the credential comes from: a PKCS#12 file as the IGC-Santé delivers it, or PEM files. */
export type ClientCertificateSource =
  { pkcs12: Buffer; passphrase: string; finess?: string } | { keyPem: string; certPem: string; finess?: string };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_USAGE = '2.5.29.37.0';

function toPem(info: CertificateInfo): string {
  return info.x509.toString();
}

/** Orders PEM certificates as a path upwards from the one that matches the key. */
function chainFromPem(keyPem: string, certPem: string, label: string): CertificateInfo[] {
  const certificates = certificatesFromPem(certPem);
  let publicDer: Buffer;
  try {
    publicDer = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  } catch (cause) {
    throw new CertificateError('CERT_UNREADABLE', label, 'the client private key cannot be read', { cause });
  }
  const leaf = certificates.find((c) => c.x509.publicKey.export({ type: 'spki', format: 'der' }).equals(publicDer));
  if (!leaf) throw new CertificateError('CERT_UNREADABLE', label, 'no certificate of the PEM matches the client private key');
  const chain = [leaf];
  for (let current = leaf; ;) {
    const issuer = certificates.find((c) => !chain.includes(c) && current.x509.checkIssued(c.x509));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/**
 * Reads the pharmacy's AUTH_CLI credential from a PKCS#12 (node-forge reads it, as the signer's key store does) or
 * from PEM (key + certificate and chain).
 *
 * @throws CertificateError CERT_UNREADABLE when the file cannot be opened or holds no certificate for its key
 */
export function loadClientCredential(source: ClientCertificateSource): ClientCredential {
  const label = source.finess ?? '';
  let chain: CertificateInfo[];
  let keyPem: string;
  if ('pkcs12' in source) {
    const read = readPkcs12(source.pkcs12, source.passphrase, label);
    chain = read.chain;
    keyPem = read.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  } else {
    chain = chainFromPem(source.keyPem, source.certPem, label);
    keyPem = source.keyPem;
  }
  const leaf = chain[0] as CertificateInfo;
  const certificateFiness = finessFromSubject(leaf.forge.subject.attributes);
  return {
    finess: source.finess ?? certificateFiness ?? '',
    certificateFiness,
    keyPem,
    certChainPem: chain.map(toPem).join(''),
    chain,
  };
}

/**
 * The checks made before every connection, so that the operator never sees a certificate it would refuse: validity
 * dates of the certificate and of its chain at `at`, key usages of a TLS client certificate (digitalSignature,
 * extKeyUsage clientAuth, not a CA), and a path to the trust anchors (the IGC-Santé CAs the operator accepts).
 *
 * @throws CertificateError CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_KEY_USAGE or CERT_UNTRUSTED (transient: the
 *   message waits until the certificate is renewed)
 */
export function checkClientCredential(credential: ClientCredential, trustAnchors: readonly X509Certificate[], at: Date): void {
  const { finess, chain } = credential;
  const dateError = checkCredentialDates({ chain, finess }, at);
  if (dateError) throw dateError;
  const leaf = chain[0] as CertificateInfo;
  const keyUsage = leaf.forge.getExtension('keyUsage') as { digitalSignature?: boolean } | undefined;
  if (keyUsage && !keyUsage.digitalSignature) {
    throw new CertificateError('CERT_KEY_USAGE', finess, 'a TLS client certificate needs the digitalSignature key usage');
  }
  const extended = leaf.x509.keyUsage;
  if (extended && extended.length > 0 && !extended.includes(CLIENT_AUTH) && !extended.includes(ANY_EXTENDED_USAGE)) {
    throw new CertificateError(
      'CERT_KEY_USAGE',
      finess,
      'certificate extended key usage does not allow TLS client authentication (not an AUTH_CLI certificate)',
    );
  }
  if (leaf.x509.ca) throw new CertificateError('CERT_KEY_USAGE', finess, 'a CA certificate is not a client certificate');
  const untrusted = chainError(chain, trustAnchors, finess);
  if (untrusted) throw untrusted;
}
