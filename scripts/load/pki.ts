/**
 * A test PKI for thousands of pharmacies, for the load tool. Each pharmacy gets its own SIGN certificate (the signer
 * refuses a certificate whose FINESS is not the document's author), but the RSA keys come from a smaller pool: RSA-2048
 * key generation costs ~0.1 s of CPU each, certificates are cheap. The PKCS#12 files use a low PBKDF2 iteration
 * count: with the usual 2048, each file costs the signer ~0.1 s of CPU to open once, which would turn the first
 * minutes of a run into key loading. Both are load-test shortcuts, said so in the report; signing itself is the same.
 *
 * The PKI is cached in a directory (`manifest.json` says for what) and reused while its certificates are valid.
 */
import { createPrivateKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface LoadPki {
  keyStoreDir: string;
  trustDir: string;
  finess: string[];
  keys: number;
  createdMs: number;
  cached: boolean;
}

interface Manifest {
  pharmacies: number;
  keys: number;
  notAfter: number;
  finess: string[];
}

const DAY = 86_400_000;

/** `n` distinct FINESS spread over departments (01–95), valid for the signer's check. */
export function pharmacyFiness(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${String((i % 95) + 1).padStart(2, '0')}${String(1_000_000 + i).padStart(7, '0')}`);
}

interface Issued {
  cert: forge.pki.Certificate;
  keyObject: KeyObject;
  forgeKey: forge.pki.rsa.PrivateKey;
}

function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): void {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  cert.md = forge.md.sha256.create();
  const pkiWithTbs = forge.pki as typeof forge.pki & { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  cert.tbsCertificate = pkiWithTbs.getTBSCertificate(cert);
  cert.signature = sign('sha256', Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary'), issuerKey).toString('binary');
}

interface KeyPair {
  keyObject: KeyObject;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

async function newKeys(count: number): Promise<KeyPair[]> {
  const gen = promisify(generateKeyPair);
  const pairs = await Promise.all(Array.from({ length: count }, () => gen('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })));
  return pairs.map(({ privateKey, publicKey }) => ({
    keyObject: createPrivateKey(privateKey),
    forgePrivate: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    forgePublic: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
  }));
}

function issue(subject: forge.pki.CertificateField[], key: KeyPair, notAfter: Date, extensions: object[], issuer?: Issued): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.forgePublic;
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = notAfter;
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  const ext: object[] = [...extensions, { name: 'subjectKeyIdentifier' }];
  if (issuer) ext.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() });
  cert.setExtensions(ext);
  signCertificate(cert, issuer ? issuer.keyObject : key.keyObject);
  return { cert, keyObject: key.keyObject, forgeKey: key.forgePrivate };
}

const ca = (cn: string): forge.pki.CertificateField[] =>
  [{ shortName: 'C', value: 'FR' }, { shortName: 'O', value: 'PASSERELLE-LOAD' }, { shortName: 'CN', value: cn }];
const org = (finess: string): forge.pki.CertificateField[] => [
  { shortName: 'C', value: 'FR' }, { shortName: 'O', value: `PHARMACIE LOAD ${finess}` }, { shortName: 'OU', value: `1${finess}` },
  { shortName: 'CN', value: `PHARMACIE LOAD ${finess} SIGN` },
];
const CA_EXT = [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }];
const SIGN_EXT = [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
  { name: 'extKeyUsage', emailProtection: true },
];

/** The PKI in `dir` for `pharmacies` pharmacies with `keys` distinct keys, made or reused. */
export async function loadPki(dir: string, pharmacies: number, keys: number): Promise<LoadPki> {
  const started = Date.now();
  const manifestPath = join(dir, 'manifest.json');
  const keyStoreDir = join(dir, 'keystore');
  const trustDir = join(dir, 'trust');
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.pharmacies === pharmacies && m.keys === keys && m.notAfter > Date.now() + DAY) {
      return { keyStoreDir, trustDir, finess: m.finess, keys, createdMs: Date.now() - started, cached: true };
    }
  }
  mkdirSync(keyStoreDir, { recursive: true });
  mkdirSync(trustDir, { recursive: true });
  const pool = await newKeys(keys + 2);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const root = issue(ca('PASSERELLE LOAD AC RACINE'), pool[0] as KeyPair, new Date(Date.now() + 3650 * DAY), CA_EXT);
  const intermediate = issue(ca('PASSERELLE LOAD AC ORGANISATIONS'), pool[1] as KeyPair, new Date(Date.now() + 1825 * DAY), CA_EXT, root);
  writeFileSync(join(trustDir, 'root.pem'), forge.pki.certificateToPem(root.cert));
  const finess = pharmacyFiness(pharmacies);
  finess.forEach((f, i) => {
    const leaf = issue(org(f), pool[2 + (i % keys)] as KeyPair, notAfter, SIGN_EXT, intermediate);
    const passphrase = randomBytes(12).toString('hex');
    const asn1 = forge.pkcs12.toPkcs12Asn1(leaf.forgeKey, [leaf.cert, intermediate.cert, root.cert], passphrase, {
      algorithm: 'aes256', friendlyName: f, count: 1,
    } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
    writeFileSync(join(keyStoreDir, `${f}.p12`), Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
    writeFileSync(join(keyStoreDir, `${f}.pass`), `${passphrase}\n`, { mode: 0o600 });
  });
  const manifest: Manifest = { pharmacies, keys, notAfter: notAfter.getTime(), finess };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return { keyStoreDir, trustDir, finess, keys, createdMs: Date.now() - started, cached: false };
}
