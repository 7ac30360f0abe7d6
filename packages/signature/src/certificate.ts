import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { CertificateError } from './errors';
import { finessOfOrganisationId } from '@passerelle/identifiers';

/**
 * Where the FINESS sits in an organisation certificate. The ANS IGC-Santé puts the structure's national
 * identifier (IdNat_Struct: a one-digit type, `1` for FINESS or `3` for SIRET, then the number, the same value as
 * the CDA organisation id extension, REFERENCE §3) in the subject's organizationalUnitName; the test PKI does the
 * same (`OU=1<FINESS>`), so the rule below reads real and test certificates alike.
 */
export function finessFromSubject(attributes: ReadonlyArray<{ shortName?: string; value?: unknown }>): string | undefined {
  for (const attribute of attributes) {
    if (attribute.shortName !== 'OU' || typeof attribute.value !== 'string') continue;
    const finess = finessOfOrganisationId(attribute.value);
    if (finess) return finess;
  }
  return undefined;
}

export { isFiness } from '@passerelle/identifiers';

/** A certificate's validity period. */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** One certificate, in the three shapes the package needs to read and check it. */
export interface CertificateInfo extends Validity {
  /** DER bytes (what KeyInfo carries and SigningCertificate digests). */
  der: Buffer;
  x509: X509Certificate;
  forge: forge.pki.Certificate;
}

/** A PKCS#12 file as read, every certificate parsed: what the checks before signing look at. */
export interface Pkcs12Contents {
  /** FINESS the key store filed this credential under (its file name). */
  finess: string;
  /** FINESS found in the certificate's subject, if any. */
  certificateFiness: string | undefined;
  /** The private key, converted once to an OpenSSL-backed key object. */
  privateKey: KeyObject;
  /** The signing certificate. */
  certificate: CertificateInfo;
  /** The certificate, then its issuers up to (not always including) a trust anchor, as found in the PKCS#12. */
  chain: CertificateInfo[];
}

/** A certificate reduced to what a signature carries of it: no parsed form is kept. */
export interface SigningCertificate extends Validity {
  /** DER bytes, in a buffer of their own (not a slice of a shared pool) */
  der: Buffer;
  /** The DER in base64, as KeyInfo carries it */
  derBase64: string;
  /** The issuer's name in RFC 4514 form and the serial number in decimal, as XAdES IssuerSerial wants them */
  issuerName: string;
  serialNumber: string;
  /** SHA-256 fingerprint (colon-separated hex, as node:crypto prints it) */
  sha256: string;
}

/**
 * What the key store keeps of a pharmacy once its PKCS#12 file passed the checks: the key, the chain as a signature
 * carries it, the validity dates. The CA certificates of the chain are shared by every pharmacy they issued.
 */
export interface SigningCredential {
  /** FINESS the key store filed this credential under (its file name). */
  finess: string;
  /** The private key, an OpenSSL-backed key object. */
  privateKey: KeyObject;
  /** The signing certificate, then its issuers, as in the PKCS#12 file. */
  chain: readonly SigningCertificate[];
}

function certificateInfo(cert: forge.pki.Certificate): CertificateInfo {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { der, x509: new X509Certificate(der), forge: cert, notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}

/** The signing form of a certificate (see {@link SigningCertificate}). */
export function signingCertificate(cert: CertificateInfo): SigningCertificate {
  const der = Buffer.allocUnsafeSlow(cert.der.length);
  cert.der.copy(der);
  return {
    der,
    derBase64: der.toString('base64'),
    issuerName: issuerNameRfc4514(cert.forge),
    serialNumber: serialNumberDecimal(cert.forge),
    sha256: cert.x509.fingerprint256,
    notBefore: new Date(cert.notBefore.getTime()),
    notAfter: new Date(cert.notAfter.getTime()),
  };
}

/** Reads a PEM bundle into certificates. */
export function certificatesFromPem(pem: string): CertificateInfo[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => certificateInfo(forge.pki.certificateFromPem(block)));
}

/** Reads a certificate from its DER bytes. */
export function certificateFromDer(der: Buffer): CertificateInfo {
  return certificateInfo(forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary'))));
}

/** The trust anchors: every certificate of every `.pem`/`.crt` file of a directory. */
export function loadTrustAnchors(dir: string): X509Certificate[] {
  const anchors: X509Certificate[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(pem|crt)$/i.test(name)) continue;
    for (const cert of certificatesFromPem(readFileSync(join(dir, name), 'utf8'))) anchors.push(cert.x509);
  }
  return anchors;
}

/**
 * Opens a PKCS#12 file. node-forge parses it (node:crypto cannot export keys from PKCS#12); the key is then
 * handed to node:crypto once, so that signing runs in OpenSSL.
 */
export function readPkcs12(bytes: Buffer, passphrase: string, finess: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, passphrase);
  } catch (cause) {
    throw new CertificateError('CERT_UNREADABLE', finess, 'PKCS#12 file cannot be opened (corrupt file or wrong passphrase)', {
      cause,
    });
  }
  const bagsOf = (oid: string | undefined): forge.pkcs12.Bag[] => (oid === undefined ? [] : (p12.getBags({ bagType: oid })[oid] ?? []));
  const keyBags = [...bagsOf(forge.pki.oids.pkcs8ShroudedKeyBag), ...bagsOf(forge.pki.oids.keyBag)];
  const certBags = bagsOf(forge.pki.oids.certBag);
  const forgeKey = keyBags.find((bag) => bag.key)?.key;
  if (!forgeKey || keyBags.length !== 1) {
    throw new CertificateError('CERT_UNREADABLE', finess, 'PKCS#12 file must hold exactly one private key');
  }
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(forgeKey));
  const certificates: CertificateInfo[] = certBags.flatMap((bag) => (bag.cert ? [certificateInfo(bag.cert)] : []));
  const publicDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const leafIndex = certificates.findIndex((c) => c.x509.publicKey.export({ type: 'spki', format: 'der' }).equals(publicDer));
  const certificate = certificates[leafIndex];
  if (!certificate) {
    throw new CertificateError('CERT_UNREADABLE', finess, 'PKCS#12 file holds no certificate for its private key');
  }
  // Order the rest as a path upwards from the signing certificate; certificates that are not on it are dropped.
  const rest = certificates.filter((_, i) => i !== leafIndex);
  const chain = [certificate];
  for (let current = certificate; ;) {
    const issuer = rest.find((c) => !chain.includes(c) && current.x509.checkIssued(c.x509));
    if (!issuer || issuer.x509.fingerprint256 === current.x509.fingerprint256) break;
    chain.push(issuer);
    current = issuer;
  }
  return {
    finess,
    certificateFiness: finessFromSubject(certificate.forge.subject.attributes),
    privateKey,
    certificate,
    chain,
  };
}

// Extended key usages under which a certificate may sign documents. The ANS SIGN certificates carry
// emailProtection (see the certificate in the DMP sample); an AUTH_CLI certificate (clientAuth only) may not sign.
const SIGNING_EXTENDED_USAGES = new Set([
  '1.3.6.1.5.5.7.3.4', // emailProtection
  '1.3.6.1.5.5.7.3.36', // documentSigning (RFC 9336)
  '1.3.6.1.4.1.311.10.3.12', // Microsoft document signing
  '2.5.29.37.0', // anyExtendedKeyUsage
]);

/**
 * The checks on a credential that do not depend on the time: key usage, chain to the trust anchors, FINESS.
 * Returns the first failure (in that order), or undefined. Cheap to cache per credential.
 */
export function checkKeyUsage(certificate: CertificateInfo, finess: string): CertificateError | undefined {
  const keyUsage = certificate.forge.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean } | undefined;
  if (!keyUsage || !(keyUsage.digitalSignature || keyUsage.nonRepudiation)) {
    return new CertificateError('CERT_KEY_USAGE', finess, 'certificate key usage allows neither digitalSignature nor nonRepudiation');
  }
  const extended = certificate.x509.keyUsage;
  if (extended && extended.length > 0 && !extended.some((oid) => SIGNING_EXTENDED_USAGES.has(oid))) {
    return new CertificateError(
      'CERT_KEY_USAGE',
      finess,
      'certificate extended key usage does not allow document signing (an AUTH_CLI certificate?)',
    );
  }
  if (certificate.x509.ca) {
    return new CertificateError('CERT_KEY_USAGE', finess, 'a CA certificate is not a signing certificate');
  }
  return undefined;
}

export function checkCredentialStatic(credential: Pkcs12Contents, trustAnchors: readonly X509Certificate[]): CertificateError | undefined {
  const { finess, certificate } = credential;
  const usageError = checkKeyUsage(certificate, finess);
  if (usageError) return usageError;
  const untrusted = chainError(credential.chain, trustAnchors, finess);
  if (untrusted) return untrusted;
  if (credential.certificateFiness === undefined) {
    return new CertificateError('CERT_WRONG_PHARMACY', finess, 'certificate subject carries no FINESS (OU=1<FINESS>)');
  }
  if (credential.certificateFiness !== finess) {
    return new CertificateError('CERT_WRONG_PHARMACY', finess, `certificate belongs to FINESS ${credential.certificateFiness}`);
  }
  return undefined;
}

/**
 * Whether `chain` (the certificate, then its issuers) reaches a trust anchor: each certificate's signature is
 * verified with the next one's key, issuers must be CAs, and the path ends at (or under) an anchor.
 */
export function chainError(
  chain: readonly CertificateInfo[],
  trustAnchors: readonly X509Certificate[],
  finess: string,
): CertificateError | undefined {
  for (let i = 0; i < chain.length; i += 1) {
    const current = chain[i] as CertificateInfo;
    if (i > 0 && !current.x509.ca) {
      return new CertificateError('CERT_UNTRUSTED', finess, 'an issuer in the certificate chain is not a CA');
    }
    if (trustAnchors.some((anchor) => anchor.fingerprint256 === current.x509.fingerprint256)) return undefined;
    const anchor = trustAnchors.find((a) => current.x509.checkIssued(a) && current.x509.verify(a.publicKey));
    if (anchor) return undefined;
    const next = chain[i + 1];
    if (!next || !current.x509.verify(next.x509.publicKey)) break;
  }
  return new CertificateError('CERT_UNTRUSTED', finess, 'certificate does not chain to a configured trust anchor');
}

/** The validity-period checks, on the signing certificate and the chain above it, at a given time. */
export function checkCredentialDates(credential: { chain: readonly Validity[]; finess: string }, at: Date): CertificateError | undefined {
  for (const [index, cert] of credential.chain.entries()) {
    const { notBefore, notAfter } = cert;
    const which = index === 0 ? 'certificate' : 'an issuer certificate in the chain';
    if (at.getTime() < notBefore.getTime()) {
      return new CertificateError('CERT_NOT_YET_VALID', credential.finess, `${which} is valid from ${notBefore.toISOString()}`);
    }
    if (at.getTime() > notAfter.getTime()) {
      return new CertificateError('CERT_EXPIRED', credential.finess, `${which} expired on ${notAfter.toISOString()}`);
    }
  }
  return undefined;
}

/** The issuer distinguished name in RFC 4514 form (most specific first), as XAdES IssuerSerial wants it. */
export function issuerNameRfc4514(cert: forge.pki.Certificate): string {
  return [...cert.issuer.attributes]
    .reverse()
    .map((attribute) => {
      const type = attribute.shortName ?? attribute.type ?? '';
      const value = String(attribute.value ?? '')
        .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
        .replace(/^[ #]/, (c) => `\\${c}`)
        .replace(/ $/, '\\ ');
      return `${type}=${value}`;
    })
    .join(',');
}

/** The certificate serial number in decimal, as XML-DSig X509SerialNumber wants it. */
export function serialNumberDecimal(cert: forge.pki.Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}
