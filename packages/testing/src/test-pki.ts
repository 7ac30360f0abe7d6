import { createPrivateKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { PermanentError } from '@passerelle/errors';
import { isFiness } from '@passerelle/identifiers';
import { writeBrokenAuthCli, type AuthBrokenVariant } from './test-pki-auth';

/**
 * A test PKI shaped like the ANS IGC-Santé for organisations ("personne morale"): a root CA, an intermediate CA,
 * and for each FINESS a SIGN certificate (keyUsage digitalSignature + nonRepudiation, extKeyUsage emailProtection
 * as on the ANS SIGN certificates) and an AUTH_CLI certificate (keyUsage digitalSignature + keyEncipherment,
 * extKeyUsage clientAuth). The subject is `C=FR, O=<name>, OU=1<FINESS>, CN=<name> <usage>`: the FINESS sits in
 * OU as the structure's national identifier (type 1 = FINESS), which is what {@link finessFromSubject} reads.
 *
 * Keys come from node:crypto (node-forge's pure-JavaScript key generation takes seconds per key); node-forge builds
 * the certificates and the PKCS#12 files. Never for production: the passphrases are written beside the files.
 */

/** Broken variants, each a key-store directory holding one `<FINESS>.p12` that a check must refuse. */
export type BrokenVariant = 'expired' | 'not-yet-valid' | 'wrong-key-usage' | 'auth-cli' | 'other-pharmacy' | 'untrusted-issuer';

export const BROKEN_VARIANTS: readonly BrokenVariant[] = [
  'expired',
  'not-yet-valid',
  'wrong-key-usage',
  'auth-cli',
  'other-pharmacy',
  'untrusted-issuer',
];

export interface TestPkiOptions {
  /** Also write the broken variants and a renewed certificate for the first FINESS (default true). */
  broken?: boolean;
  /** RSA modulus length (default 2048). */
  modulusLength?: number;
  /** Reference time (default now): validity periods are computed from it. */
  now?: Date;
  /** Also write AUTH_CLI certificates (default true). */
  auth?: boolean;
  /**
   * Load tests: SIGN certificates share this many distinct RSA keys (default: one key each). Key generation is the
   * slow part (~0.1 s of CPU per key); certificates are cheap.
   */
  keyPool?: number;
  /**
   * PBKDF2 iterations of the PKCS#12 files (default node-forge's 2048). Load tests lower it: opening a file costs the
   * signer ~0.1 s of CPU at 2048, once per pharmacy.
   */
  pkcs12Iterations?: number;
  /**
   * Also issue a TLS server certificate (extKeyUsage serverAuth) for these DNS names and IP addresses, under the same
   * intermediate CA: for the local simulators of the DMP and of an MSSanté operator (default none).
   */
  serverNames?: readonly string[];
}

export interface TestPki {
  /** Key-store directory: `<FINESS>.p12` (SIGN) and `<FINESS>.pass`. */
  keyStoreDir: string;
  /** AUTH_CLI certificates, same layout. */
  authDir: string;
  /** Trust anchors for the key store and for xmlsec1: `root.pem`. */
  trustDir: string;
  /** CA certificates as PEM files: root.pem, intermediate.pem. */
  rootPem: string;
  intermediatePem: string;
  /** A second valid SIGN certificate for the first FINESS (`renewed/<FINESS>.p12`): for rotation tests and demos. */
  renewedDir?: string;
  /** Broken variants for the first FINESS: variant → key-store directory. */
  broken: Partial<Record<BrokenVariant, string>>;
  /** Broken AUTH_CLI variants for the first FINESS (test-pki-auth.ts): variant → AUTH_CLI directory. */
  authBroken: Partial<Record<AuthBrokenVariant, string>>;
  /** The TLS server certificate (when `serverNames` is given): PEM files of the key and of the certificate + chain. */
  server?: { keyPem: string; certPem: string };
  /** Passphrase of every PKCS#12 file of this PKI (tests only). */
  passphrase: (finess: string) => string;
}

export interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  keyObject: KeyObject;
}

export interface KeyPair {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyObject: KeyObject;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA keys from OpenSSL, generated in parallel on libuv's thread pool, then converted for node-forge. */
export async function newKeys(count: number, modulusLength: number): Promise<KeyPair[]> {
  const pairs = await Promise.all(
    Array.from({ length: count }, () =>
      generateKeyPairAsync('rsa', {
        modulusLength,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      }),
    ),
  );
  return pairs.map(({ privateKey, publicKey }) => ({
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    keyObject: createPrivateKey(privateKey),
  }));
}

/** Signs a certificate with node:crypto (node-forge's own RSA would take ~0.1 s per certificate). */
function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): void {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  cert.md = forge.md.sha256.create();
  // getTBSCertificate exists in node-forge but is missing from @types/node-forge.
  const pkiWithTbs = forge.pki as typeof forge.pki & { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  cert.tbsCertificate = pkiWithTbs.getTBSCertificate(cert);
  const tbs = forge.asn1.toDer(cert.tbsCertificate).getBytes();
  cert.signature = sign('sha256', Buffer.from(tbs, 'binary'), issuerKey).toString('binary');
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

const DAY = 24 * 60 * 60 * 1000;

export interface CertSpec {
  subject: forge.pki.CertificateField[];
  issuer?: Issued;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
  key: KeyPair;
}

/**
 * A TLS server certificate for `names` (DNS names and IP addresses, in its subjectAltName; the first also in its
 * subject), valid from a day before `now` for 825 days, signed by `issuer`.
 */
export function issueServerCertificate(names: readonly string[], issuer: Issued, key: KeyPair, now: Date): Issued {
  const altNames = names.map((name) => (/^[\d.]+$|:/.test(name) ? { type: 7, ip: name } : { type: 2, value: name }));
  return issue({
    subject: caSubject(names[0] as string).map((field) => (field.shortName === 'OU' ? { ...field, value: 'SERVEUR TEST' } : field)),
    issuer,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 825 * DAY),
    extensions: [...SERVER_EXTENSIONS, { name: 'subjectAltName', altNames }],
    key,
  });
}

export function issue(spec: CertSpec): Issued {
  const { privateKey, publicKey, keyObject } = spec.key;
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : spec.subject);
  const extensions: object[] = [...spec.extensions, { name: 'subjectKeyIdentifier' }];
  if (spec.issuer) {
    extensions.push({
      name: 'authorityKeyIdentifier',
      keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);
  signCertificate(cert, spec.issuer ? spec.issuer.keyObject : keyObject);
  return { cert, key: privateKey, keyObject };
}

export function caSubject(cn: string): forge.pki.CertificateField[] {
  return [
    { shortName: 'C', value: 'FR' },
    { shortName: 'O', value: 'PASSERELLE-TEST' },
    { shortName: 'OU', value: 'IGC-SANTE TEST (simulee)' },
    { shortName: 'CN', value: cn },
  ];
}

export function organisationSubject(finess: string, usage: string): forge.pki.CertificateField[] {
  return [
    { shortName: 'C', value: 'FR' },
    { shortName: 'O', value: `PHARMACIE TEST ${finess}` },
    { shortName: 'OU', value: `1${finess}` },
    { shortName: 'CN', value: `PHARMACIE TEST ${finess} ${usage}` },
  ];
}

export const CA_EXTENSIONS = [
  { name: 'basicConstraints', cA: true, critical: true },
  { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
];
export const SIGN_EXTENSIONS = [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
  { name: 'extKeyUsage', emailProtection: true },
];
export const SERVER_EXTENSIONS = [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  { name: 'extKeyUsage', serverAuth: true },
];
export const AUTH_EXTENSIONS = [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  { name: 'extKeyUsage', clientAuth: true },
];

export function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

export function writePkcs12(
  dir: string,
  finess: string,
  leaf: Issued,
  chain: forge.pki.Certificate[],
  passphrase: string,
  count?: number,
): void {
  mkdirSync(dir, { recursive: true });
  const asn1 = forge.pkcs12.toPkcs12Asn1(leaf.key, [leaf.cert, ...chain], passphrase, {
    algorithm: 'aes256',
    friendlyName: `${finess}`,
    ...(count ? { count } : {}),
  } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  writeFileSync(join(dir, `${finess}.p12`), Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  writeFileSync(join(dir, `${finess}.pass`), `${passphrase}\n`, { mode: 0o600 });
}

/** A FINESS different from `finess`, for the "another pharmacy's certificate" variant. */
function otherFiness(finess: string): string {
  const last = Number(finess.slice(-1));
  return `${finess.slice(0, -1)}${(last + 1) % 10}`;
}

/**
 * Creates a test PKI in `dir`: `trust/root.pem`, `ca/{root,intermediate}.pem`, `<FINESS>.p12` + `<FINESS>.pass`
 * (SIGN) for every FINESS, `auth/<FINESS>.p12` (AUTH_CLI), and `broken/<variant>/<FINESS>.p12` and `renewed/<FINESS>.p12` for the first FINESS.
 */
export async function createTestPki(dir: string, finessList: readonly string[], options: TestPkiOptions = {}): Promise<TestPki> {
  if (finessList.length === 0) throw new PermanentError('INVALID_FINESS', 'at least one FINESS is needed');
  for (const finess of finessList) {
    if (!isFiness(finess)) throw new PermanentError('INVALID_FINESS', 'finess must be 9 characters (department + 7 digits)');
  }
  const modulusLength = options.modulusLength ?? 2048;
  const now = options.now ?? new Date();
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  // A passphrase per file, derived so that tests and operators can find it again; random salt per PKI run.
  const salt = randomBytes(6).toString('hex');
  const passphrase = (finess: string) => `test-${finess}-${salt}`;
  const withBroken = options.broken ?? true;
  const withAuth = options.auth ?? true;
  const leafKeys = options.keyPool ?? finessList.length;
  const serverNames = options.serverNames ?? [];
  const keys = await newKeys(
    2 +
      leafKeys +
      (withAuth ? finessList.length : 0) +
      (withBroken ? 9 : 0) +
      (withBroken && withAuth ? 2 : 0) +
      (serverNames.length > 0 ? 1 : 0),
    modulusLength,
  );
  const nextKey = (): KeyPair => keys.pop() as KeyPair;
  const pool = Array.from({ length: leafKeys }, nextKey);

  const root = issue({
    subject: caSubject('PASSERELLE TEST AC RACINE'),
    notBefore: at(-1),
    notAfter: at(3650),
    extensions: CA_EXTENSIONS,
    key: nextKey(),
  });
  const intermediate = issue({
    subject: caSubject('PASSERELLE TEST AC ORGANISATIONS'),
    issuer: root,
    notBefore: at(-1),
    notAfter: at(1825),
    extensions: CA_EXTENSIONS,
    key: nextKey(),
  });
  const keyStoreDir = dir;
  const authDir = join(dir, 'auth');
  const trustDir = join(dir, 'trust');
  const caDir = join(dir, 'ca');
  mkdirSync(trustDir, { recursive: true });
  mkdirSync(caDir, { recursive: true });
  writeFileSync(join(trustDir, 'root.pem'), toPem(root.cert));
  const rootPem = join(caDir, 'root.pem');
  const intermediatePem = join(caDir, 'intermediate.pem');
  writeFileSync(rootPem, toPem(root.cert));
  writeFileSync(intermediatePem, toPem(intermediate.cert));
  const chain = [intermediate.cert, root.cert];

  finessList.forEach((finess, i) => {
    const sign = issue({
      subject: organisationSubject(finess, 'SIGN'),
      issuer: intermediate,
      notBefore: at(-1),
      notAfter: at(1095),
      extensions: SIGN_EXTENSIONS,
      key: pool[i % leafKeys] as KeyPair,
    });
    writePkcs12(keyStoreDir, finess, sign, chain, passphrase(finess), options.pkcs12Iterations);
    if (withAuth) {
      const auth = issue({
        subject: organisationSubject(finess, 'AUTH_CLI'),
        issuer: intermediate,
        notBefore: at(-1),
        notAfter: at(1095),
        extensions: AUTH_EXTENSIONS,
        key: nextKey(),
      });
      writePkcs12(authDir, finess, auth, chain, passphrase(finess), options.pkcs12Iterations);
    }
  });

  let server: TestPki['server'];
  if (serverNames.length > 0) {
    const tls = issueServerCertificate(serverNames, intermediate, nextKey(), now);
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir, { recursive: true });
    server = { keyPem: join(tlsDir, 'server.key'), certPem: join(tlsDir, 'server.pem') };
    writeFileSync(server.keyPem, tls.keyObject.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(server.certPem, [tls.cert, intermediate.cert].map(toPem).join(''));
  }

  const broken: Partial<Record<BrokenVariant, string>> = {};
  const first = finessList[0] as string;
  let renewedDir: string | undefined;
  if (withBroken) {
    renewedDir = join(dir, 'renewed');
    const renewed = issue({
      subject: organisationSubject(first, 'SIGN'),
      issuer: intermediate,
      notBefore: at(-1),
      notAfter: at(1095),
      extensions: SIGN_EXTENSIONS,
      key: nextKey(),
    });
    writePkcs12(renewedDir, first, renewed, chain, passphrase(first));
    const variant = (name: BrokenVariant, leaf: Issued, leafChain = chain) => {
      const variantDir = join(dir, 'broken', name);
      writePkcs12(variantDir, first, leaf, leafChain, passphrase(first));
      broken[name] = variantDir;
    };
    const signed = (
      subject: forge.pki.CertificateField[],
      notBefore: Date,
      notAfter: Date,
      extensions: object[],
      issuer: Issued = intermediate,
    ) => issue({ subject, issuer, notBefore, notAfter, extensions, key: nextKey() });
    variant('expired', signed(organisationSubject(first, 'SIGN'), at(-400), at(-1), SIGN_EXTENSIONS));
    variant('not-yet-valid', signed(organisationSubject(first, 'SIGN'), at(30), at(400), SIGN_EXTENSIONS));
    variant(
      'wrong-key-usage',
      signed(organisationSubject(first, 'SIGN'), at(-1), at(400), [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', keyEncipherment: true, critical: true },
      ]),
    );
    variant('auth-cli', signed(organisationSubject(first, 'AUTH_CLI'), at(-1), at(400), AUTH_EXTENSIONS));
    variant('other-pharmacy', signed(organisationSubject(otherFiness(first), 'SIGN'), at(-1), at(400), SIGN_EXTENSIONS));
    const rogueRoot = issue({
      subject: caSubject('AUTRE AC RACINE (non approuvee)'),
      notBefore: at(-1),
      notAfter: at(3650),
      extensions: CA_EXTENSIONS,
      key: nextKey(),
    });
    const rogueIntermediate = issue({
      subject: caSubject('PASSERELLE TEST AC ORGANISATIONS'),
      issuer: rogueRoot,
      notBefore: at(-1),
      notAfter: at(1825),
      extensions: CA_EXTENSIONS,
      key: nextKey(),
    });
    variant('untrusted-issuer', signed(organisationSubject(first, 'SIGN'), at(-1), at(400), SIGN_EXTENSIONS, rogueIntermediate), [
      rogueIntermediate.cert,
      rogueRoot.cert,
    ]);
  }
  const authBroken =
    withBroken && withAuth
      ? await writeBrokenAuthCli({ dir, finess: first, intermediate, chain, passphrase: passphrase(first), now, modulusLength })
      : {};
  return { keyStoreDir, authDir, trustDir, rootPem, intermediatePem, renewedDir, broken, authBroken, server, passphrase };
}
