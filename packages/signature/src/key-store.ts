import type { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkCredentialDates,
  checkCredentialStatic,
  isFiness,
  loadTrustAnchors,
  readPkcs12,
  signingCertificate,
  type CertificateInfo,
  type SigningCertificate,
  type SigningCredential,
} from './certificate';
import { CertificateError, SignatureInputError } from './errors';
import { expiriesOfPharmacies } from './pharmacy-files';

/** Environment variable holding the passphrase of a pharmacy's PKCS#12 file; it wins over a passphrase file. */
export const PASSPHRASE_ENV_PREFIX = 'PASSERELLE_P12_PASSPHRASE_';

/** How often, by default, the key store looks for rotated, replaced or removed files. */
export const DEFAULT_ROTATION_CHECK_MS = 5_000;

export interface KeyStoreOptions {
  /** Directory of `<FINESS>.p12` files, with optional `<FINESS>.pass` passphrase files beside them. */
  dir: string;
  /** Trust anchors (root or intermediate CA certificates), or a directory of `.pem`/`.crt` files holding them. */
  trustAnchors: readonly X509Certificate[] | string;
  /** Where passphrases may come from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Every how many milliseconds the loaded pharmacies' files are checked for a change (default
   * {@link DEFAULT_ROTATION_CHECK_MS}); 0: never by timer, only when {@link KeyStore.refresh} is called.
   */
  rotationCheckMs?: number;
}

interface Entry {
  /** The file's identity (inode, size, modification and change times in ns), its passphrase's, as loaded */
  fingerprint: string;
  credential?: SigningCredential;
  /** A failure that does not depend on time (unreadable file, key usage, chain, FINESS): kept until the file changes. */
  error?: CertificateError;
}

type Stat = Pick<BigIntStats, 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'> | undefined;

/**
 * The signing certificates of many pharmacies, keyed by FINESS: one PKCS#12 file per pharmacy in a directory.
 *
 * A pharmacy's file is read on its first signature; what is kept of it is what signing needs (the key as a
 * node:crypto `KeyObject`, the chain's DER with its validity dates and the names a signature carries), and the CA
 * certificates of the chains once for all the pharmacies they issued.
 *
 * Rotation without restart: a timer (every `rotationCheckMs`) compares each loaded file's identity (inode, size,
 * modification and change times, in nanoseconds) and passphrase with what was loaded, and forgets the pharmacy on
 * any difference, so that its next signature reads the file again; a removed file withdraws the pharmacy. Polling
 * rather than `fs.watch`, which can miss events (network file systems, Kubernetes secret volumes that swap a
 * symlink); a timer rather than a `stat` per signature, which cost two system calls on the signing path.
 */
export class KeyStore {
  readonly dir: string;
  readonly trustAnchors: readonly X509Certificate[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly entries = new Map<string, Entry>();
  /** CA certificates by SHA-256 fingerprint: one object however many chains hold them */
  private readonly authorities = new Map<string, SigningCertificate>();
  private readonly timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(options: KeyStoreOptions) {
    this.dir = options.dir;
    this.trustAnchors = typeof options.trustAnchors === 'string' ? loadTrustAnchors(options.trustAnchors) : options.trustAnchors;
    this.env = options.env ?? process.env;
    const every = options.rotationCheckMs ?? DEFAULT_ROTATION_CHECK_MS;
    if (every > 0) {
      this.timer = setInterval(() => void this.refresh(), every);
      // The check must not keep a process alive that has nothing else to do.
      this.timer.unref();
    }
  }

  /**
   * The credential of a pharmacy, checked for signing at `at` (default now): present and readable, validity
   * dates, key usage, chain to the trust anchors, and the certificate's FINESS equal to `finess`.
   *
   * @throws CertificateError with its code when any check fails; the caller must not sign.
   */
  signingCredential(finess: string, at: Date = new Date()): SigningCredential {
    if (!isFiness(finess)) throw new SignatureInputError('INVALID_FINESS', 'finess must be 9 characters (department + 7 digits)');
    const entry = this.entries.get(finess) ?? this.load(finess);
    if (entry.error) throw entry.error;
    const credential = entry.credential as SigningCredential;
    const dateError = checkCredentialDates(credential, at);
    if (dateError) throw dateError;
    return credential;
  }

  /**
   * Looks at the loaded pharmacies' files now (what the timer does): a pharmacy whose file or passphrase changed,
   * or whose file is gone, is forgotten, and read again on its next signature. Concurrent calls share one pass.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.checkFiles().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Every pharmacy of the directory (`<FINESS>.p12`) with the end of validity of its signing certificate (epoch ms),
   * each file read as its next signature would read it (and kept): for the certificate-expiry gauge, so that a
   * certificate is watched before its first signature. A file that cannot be read or fails a check that does not
   * depend on time is left out (its next signature says why); an expired certificate is in, in the past. The files
   * are read a few at a time, the event loop getting turns in between ({@link expiriesOfPharmacies}).
   */
  expiries(): Promise<Map<string, number>> {
    return expiriesOfPharmacies(this.dir, (finess) =>
      (this.entries.get(finess) ?? this.load(finess)).credential?.chain[0]?.notAfter.getTime(),
    );
  }

  /** Stops the rotation timer (the store still works; rotations are then seen only through {@link refresh}). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Forgets every loaded credential (the next access reads the files again). */
  clear(): void {
    this.entries.clear();
    this.authorities.clear();
  }

  private async checkFiles(): Promise<void> {
    const statOf = (path: string): Promise<Stat> =>
      stat(path, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
    for (const [finess, entry] of [...this.entries]) {
      const paths = this.paths(finess);
      const envPassphrase = this.envPassphrase(finess);
      let fingerprint: string | undefined;
      try {
        const p12 = await statOf(paths.p12);
        const pass = p12 && envPassphrase === undefined ? await statOf(paths.pass) : undefined;
        fingerprint = p12 ? this.fingerprint(p12, pass, envPassphrase) : undefined;
      } catch {
        fingerprint = undefined; // unreadable now: read again (and fail with the reason) on the next signature
      }
      // Only if the entry was not replaced meanwhile by a signature that loaded the file again.
      if (fingerprint !== entry.fingerprint && this.entries.get(finess) === entry) this.entries.delete(finess);
    }
  }

  private paths(finess: string): { p12: string; pass: string } {
    return { p12: join(this.dir, `${finess}.p12`), pass: join(this.dir, `${finess}.pass`) };
  }

  private envPassphrase(finess: string): string | undefined {
    return this.env[`${PASSPHRASE_ENV_PREFIX}${finess}`];
  }

  private fingerprint(p12: NonNullable<Stat>, pass: Stat, envPassphrase: string | undefined): string {
    const identity = (s: NonNullable<Stat>) => `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    return [identity(p12), pass ? identity(pass) : '-', envPassphrase === undefined ? '-' : `env:${envPassphrase}`].join('|');
  }

  private load(finess: string): Entry {
    const paths = this.paths(finess);
    const p12Stat = statSync(paths.p12, { bigint: true, throwIfNoEntry: false });
    if (!p12Stat) {
      // Not kept: the pharmacy is looked for again on its next signature.
      throw new CertificateError('CERT_MISSING', finess, 'no PKCS#12 file for this FINESS in the key store');
    }
    const envPassphrase = this.envPassphrase(finess);
    const passStat = envPassphrase === undefined ? statSync(paths.pass, { bigint: true, throwIfNoEntry: false }) : undefined;
    const entry: Entry = { fingerprint: this.fingerprint(p12Stat, passStat, envPassphrase) };
    try {
      let passphrase = envPassphrase;
      if (passphrase === undefined) {
        if (!passStat) {
          throw new CertificateError(
            'CERT_PASSPHRASE_MISSING',
            finess,
            `no passphrase: set ${PASSPHRASE_ENV_PREFIX}${finess} or write ${finess}.pass beside the PKCS#12 file`,
          );
        }
        passphrase = readFileSync(paths.pass, 'utf8').replace(/\r?\n$/, '');
      }
      const contents = readPkcs12(readFileSync(paths.p12), passphrase, finess);
      const staticError = checkCredentialStatic(contents, this.trustAnchors);
      if (staticError) entry.error = staticError;
      else {
        // chain[0] is the signing certificate; the others are CAs, kept once for every pharmacy they issued.
        const issuers = contents.chain.slice(1).map((ca) => this.authority(ca));
        entry.credential = { finess, privateKey: contents.privateKey, chain: [signingCertificate(contents.certificate), ...issuers] };
      }
    } catch (error) {
      if (!(error instanceof CertificateError)) {
        entry.error = new CertificateError('CERT_UNREADABLE', finess, 'PKCS#12 file cannot be read', { cause: error });
      } else {
        entry.error = error;
      }
    }
    this.entries.set(finess, entry);
    return entry;
  }

  private authority(cert: CertificateInfo): SigningCertificate {
    const sha256 = cert.x509.fingerprint256;
    let known = this.authorities.get(sha256);
    if (!known) this.authorities.set(sha256, (known = signingCertificate(cert)));
    return known;
  }
}
