import type { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkCredentialDates,
  checkCredentialStatic,
  isFiness,
  loadTrustAnchors,
  readPkcs12,
  type SigningCredential,
} from './certificate';
import { CertificateError, SignatureInputError } from './errors';

/** Environment variable holding the passphrase of a pharmacy's PKCS#12 file; it wins over a passphrase file. */
export const PASSPHRASE_ENV_PREFIX = 'PASSERELLE_P12_PASSPHRASE_';

export interface KeyStoreOptions {
  /** Directory of `<FINESS>.p12` files, with optional `<FINESS>.pass` passphrase files beside them. */
  dir: string;
  /** Trust anchors (root or intermediate CA certificates), or a directory of `.pem`/`.crt` files holding them. */
  trustAnchors: readonly X509Certificate[] | string;
  /** Where passphrases may come from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

interface Entry {
  fingerprint: string;
  credential?: SigningCredential;
  /** A failure that does not depend on time (unreadable file, key usage, chain, FINESS): kept until the file changes. */
  error?: CertificateError;
}

/**
 * The signing certificates of many pharmacies, keyed by FINESS: one PKCS#12 file per pharmacy in a directory.
 *
 * Rotation without restart: every access compares the file's identity (inode, size, modification and change
 * times, in nanoseconds) and the passphrase with what was loaded, and reloads on any difference. This is a
 * `stat` per signature (microseconds), and unlike `fs.watch` it cannot miss an event (network file systems,
 * Kubernetes secret volumes that swap a symlink). Files are parsed once per version; private keys are converted
 * once to node:crypto key objects.
 */
export class KeyStore {
  readonly dir: string;
  readonly trustAnchors: readonly X509Certificate[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly entries = new Map<string, Entry>();

  constructor(options: KeyStoreOptions) {
    this.dir = options.dir;
    this.trustAnchors =
      typeof options.trustAnchors === 'string' ? loadTrustAnchors(options.trustAnchors) : options.trustAnchors;
    this.env = options.env ?? process.env;
  }

  /**
   * The credential of a pharmacy, checked for signing at `at` (default now): present and readable, validity
   * dates, key usage, chain to the trust anchors, and the certificate's FINESS equal to `finess`.
   *
   * @throws CertificateError with its code when any check fails; the caller must not sign.
   */
  signingCredential(finess: string, at: Date = new Date()): SigningCredential {
    const entry = this.load(finess);
    if (entry.error) throw entry.error;
    const credential = entry.credential as SigningCredential;
    const dateError = checkCredentialDates(credential, at);
    if (dateError) throw dateError;
    return credential;
  }

  /** Forgets every loaded credential (the next access reads the files again). */
  clear(): void {
    this.entries.clear();
  }

  private load(finess: string): Entry {
    if (!isFiness(finess)) throw new SignatureInputError('INVALID_FINESS', 'finess must be 9 characters (department + 7 digits)');
    const p12Path = join(this.dir, `${finess}.p12`);
    const passPath = join(this.dir, `${finess}.pass`);
    const p12Stat = statSync(p12Path, { bigint: true, throwIfNoEntry: false });
    if (!p12Stat) {
      this.entries.delete(finess);
      throw new CertificateError('CERT_MISSING', finess, 'no PKCS#12 file for this FINESS in the key store');
    }
    const envPassphrase = this.env[`${PASSPHRASE_ENV_PREFIX}${finess}`];
    const passStat = envPassphrase === undefined ? statSync(passPath, { bigint: true, throwIfNoEntry: false }) : undefined;
    const identity = (s: typeof p12Stat) => `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    const fingerprint = [
      identity(p12Stat),
      passStat ? identity(passStat) : '-',
      envPassphrase === undefined ? '-' : `env:${envPassphrase}`,
    ].join('|');
    const cached = this.entries.get(finess);
    if (cached && cached.fingerprint === fingerprint) return cached;

    const entry: Entry = { fingerprint };
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
        passphrase = readFileSync(passPath, 'utf8').replace(/\r?\n$/, '');
      }
      const credential = readPkcs12(readFileSync(p12Path), passphrase, finess);
      const staticError = checkCredentialStatic(credential, this.trustAnchors);
      if (staticError) entry.error = staticError;
      else entry.credential = credential;
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
}
