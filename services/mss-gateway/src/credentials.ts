import type { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientCredential, type ClientCredential } from '@passerelle/mss';
import { CertificateError, expiriesOfPharmacies, isFiness, loadTrustAnchors } from '@passerelle/signature';

export const AUTH_PASSPHRASE_ENV_PREFIX = 'PASSERELLE_AUTH_P12_PASSPHRASE_';

/**
 * The pharmacies' AUTH_CLI credentials for their applicative MSSanté mailboxes: `<FINESS>.p12` in one directory,
 * the passphrase in `<FINESS>.pass` or `PASSERELLE_AUTH_P12_PASSPHRASE_<FINESS>`. Read once, re-read when the file
 * changes (rotation). A problem is a CertificateError (`CERT_*`): the message waits for a certificate.
 */
export class MssCredentials {
  readonly trustAnchors: readonly X509Certificate[];
  private readonly entries = new Map<string, { identity: string; credential?: ClientCredential; error?: CertificateError }>();

  constructor(private readonly options: { dir: string; trustDir: string; env?: NodeJS.ProcessEnv }) {
    this.trustAnchors = loadTrustAnchors(options.trustDir);
  }

  /** @throws CertificateError CERT_MISSING, CERT_PASSPHRASE_MISSING, CERT_UNREADABLE */
  credential(finess: string): ClientCredential {
    if (!isFiness(finess)) throw new CertificateError('CERT_MISSING', '', 'the record names no FINESS for its AUTH_CLI certificate');
    const p12 = join(this.options.dir, `${finess}.p12`);
    const pass = join(this.options.dir, `${finess}.pass`);
    const stat = statSync(p12, { bigint: true, throwIfNoEntry: false });
    if (!stat) throw new CertificateError('CERT_MISSING', finess, 'no AUTH_CLI PKCS#12 file for this FINESS');
    const passStat = statSync(pass, { bigint: true, throwIfNoEntry: false });
    const envPassphrase = (this.options.env ?? process.env)[`${AUTH_PASSPHRASE_ENV_PREFIX}${finess}`];
    const identity = `${stat.mtimeNs}:${stat.size}:${passStat?.mtimeNs ?? ''}:${envPassphrase ? 'env' : ''}`;
    let entry = this.entries.get(finess);
    if (entry?.identity !== identity) {
      entry = { identity };
      try {
        const passphrase = envPassphrase ?? (passStat ? readFileSync(pass, 'utf8').replace(/\r?\n$/, '') : undefined);
        if (passphrase === undefined) {
          throw new CertificateError(
            'CERT_PASSPHRASE_MISSING',
            finess,
            `no passphrase: set ${AUTH_PASSPHRASE_ENV_PREFIX}${finess} or write ${finess}.pass`,
          );
        }
        entry.credential = loadClientCredential({ pkcs12: readFileSync(p12), passphrase, finess });
      } catch (error) {
        entry.error =
          error instanceof CertificateError
            ? error
            : new CertificateError('CERT_UNREADABLE', finess, 'AUTH_CLI PKCS#12 file cannot be read', { cause: error });
      }
      this.entries.set(finess, entry);
    }
    if (entry.error) throw entry.error;
    return entry.credential as ClientCredential;
  }

  /**
   * Every pharmacy of the directory (`<FINESS>.p12`) with the end of validity of its AUTH_CLI certificate (epoch ms),
   * for the certificate-expiry gauge; a file that cannot be read is left out (its next message says why).
   */
  expiries(): Promise<Map<string, number>> {
    return expiriesOfPharmacies(this.options.dir, (finess) => this.credential(finess).chain[0]?.notAfter.getTime());
  }

  close(): void {
    this.entries.clear();
  }
}
