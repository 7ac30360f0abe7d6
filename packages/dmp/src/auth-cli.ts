import type { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  chainError,
  checkCredentialDates,
  CertificateError,
  expiriesOfPharmacies,
  isFiness,
  loadTrustAnchors,
  readPkcs12,
  type Pkcs12Contents,
} from '@passerelle/signature';
import { ClientCertificateError, type ClientCertificateErrorCode } from './errors';

/** Environment variable holding the passphrase of a pharmacy's AUTH_CLI PKCS#12 file; it wins over the `.pass` file. */
export const AUTH_PASSPHRASE_ENV_PREFIX = 'PASSERELLE_AUTH_P12_PASSPHRASE_';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** What TLS needs of a pharmacy's AUTH_CLI credential, checked. */
export interface ClientCredential {
  finess: string;
  /** PEM private key and certificate chain (leaf first), for `https.Agent` */
  keyPem: string;
  certPem: string;
  certificate: X509Certificate;
  /** SHA-256 of the certificate: an agent is rebuilt when it changes (rotation) */
  fingerprint: string;
  /** The dates and chain, for {@link checkClientCredentialDates} at each use */
  credential: Pkcs12Contents;
}

export interface AuthCliStoreOptions {
  /** Directory of `<FINESS>.p12` AUTH_CLI files with `<FINESS>.pass` beside them (the test PKI's `auth/`) */
  dir: string;
  /** Trust anchors of the organisation certificates, or a directory of `.pem` files */
  trustAnchors: readonly X509Certificate[] | string;
  env?: NodeJS.ProcessEnv;
}

function mapCertificateError(error: CertificateError): ClientCertificateError {
  const codes: Partial<Record<string, ClientCertificateErrorCode>> = {
    CERT_EXPIRED: 'AUTH_CLI_EXPIRED',
    CERT_NOT_YET_VALID: 'AUTH_CLI_NOT_YET_VALID',
    CERT_UNTRUSTED: 'AUTH_CLI_UNTRUSTED',
    CERT_MISSING: 'AUTH_CLI_MISSING',
  };
  const message = error.message.replace(/^CERT_[A-Z_]+: /, '');
  return new ClientCertificateError(codes[error.code] ?? 'AUTH_CLI_UNREADABLE', error.finess, message, { cause: error });
}

/**
 * The pharmacies' AUTH_CLI credentials (mutual TLS to the DMP), one PKCS#12 file per FINESS, checked before any
 * connection: readable, a client-authentication certificate (extKeyUsage clientAuth, not a CA), the pharmacy's own
 * (OU = 1<FINESS>), chained to the trust anchors, and valid now. A failed check throws a ClientCertificateError
 * naming it; nothing is sent. Files are re-read when they change (rotation), as the signer's key store does.
 */
export class AuthCliStore {
  private readonly trustAnchors: readonly X509Certificate[];
  private readonly entries = new Map<string, { identity: string; credential?: ClientCredential; error?: ClientCertificateError }>();

  constructor(private readonly options: AuthCliStoreOptions) {
    this.trustAnchors = typeof options.trustAnchors === 'string' ? loadTrustAnchors(options.trustAnchors) : options.trustAnchors;
  }

  /** @throws ClientCertificateError when the certificate must not be used at `at` */
  credential(finess: string, at: Date = new Date()): ClientCredential {
    const entry = this.load(finess);
    if (entry.error) throw entry.error;
    const credential = entry.credential as ClientCredential;
    const dateError = checkCredentialDates(credential.credential, at);
    if (dateError) throw mapCertificateError(dateError);
    return credential;
  }

  /**
   * Every pharmacy of the directory (`<FINESS>.p12`) with the end of validity of its AUTH_CLI certificate (epoch ms),
   * for the certificate-expiry gauge. A file that cannot be read or fails a check that does not depend on time is
   * left out (its next delivery says why); an expired certificate is in, in the past.
   */
  expiries(): Promise<Map<string, number>> {
    return expiriesOfPharmacies(this.options.dir, (finess) => this.load(finess).credential?.credential.certificate.notAfter.getTime());
  }

  private load(finess: string) {
    if (!isFiness(finess)) throw new ClientCertificateError('AUTH_CLI_MISSING', finess, 'not a FINESS');
    const p12 = join(this.options.dir, `${finess}.p12`);
    const pass = join(this.options.dir, `${finess}.pass`);
    const stat = statSync(p12, { bigint: true, throwIfNoEntry: false });
    if (!stat) throw new ClientCertificateError('AUTH_CLI_MISSING', finess, 'no AUTH_CLI PKCS#12 file for this FINESS');
    const env = this.options.env ?? process.env;
    const envPassphrase = env[`${AUTH_PASSPHRASE_ENV_PREFIX}${finess}`];
    const passStat = statSync(pass, { bigint: true, throwIfNoEntry: false });
    const identity = `${stat.ino}:${stat.size}:${stat.mtimeNs}:${passStat?.mtimeNs ?? '-'}:${envPassphrase === undefined ? '-' : 'env'}`;
    const cached = this.entries.get(finess);
    if (cached && cached.identity === identity) return cached;
    const entry: { identity: string; credential?: ClientCredential; error?: ClientCertificateError } = { identity };
    try {
      const passphrase = envPassphrase ?? (passStat ? readFileSync(pass, 'utf8').replace(/\r?\n$/, '') : undefined);
      if (passphrase === undefined) {
        throw new ClientCertificateError(
          'AUTH_CLI_UNREADABLE',
          finess,
          `no passphrase: set ${AUTH_PASSPHRASE_ENV_PREFIX}${finess} or write ${finess}.pass`,
        );
      }
      const credential = readPkcs12(readFileSync(p12), passphrase, finess);
      entry.error = this.staticError(credential);
      if (!entry.error) {
        const leaf = credential.certificate.x509;
        entry.credential = {
          finess,
          keyPem: credential.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certPem: credential.chain.map((c) => c.x509.toString()).join(''),
          certificate: leaf,
          fingerprint: leaf.fingerprint256,
          credential,
        };
      }
    } catch (error) {
      entry.error =
        error instanceof ClientCertificateError
          ? error
          : error instanceof CertificateError
            ? mapCertificateError(error)
            : new ClientCertificateError('AUTH_CLI_UNREADABLE', finess, 'AUTH_CLI PKCS#12 file cannot be read', { cause: error });
    }
    this.entries.set(finess, entry);
    return entry;
  }

  private staticError(credential: Pkcs12Contents): ClientCertificateError | undefined {
    const { finess, certificate } = credential;
    const usages = certificate.x509.keyUsage ?? [];
    if (certificate.x509.ca || !usages.includes(CLIENT_AUTH)) {
      return new ClientCertificateError(
        'AUTH_CLI_KEY_USAGE',
        finess,
        'certificate is not a TLS client certificate (extKeyUsage clientAuth)',
      );
    }
    const untrusted = chainError(credential.chain, this.trustAnchors, finess);
    if (untrusted) return mapCertificateError(untrusted);
    if (credential.certificateFiness !== finess) {
      return new ClientCertificateError('AUTH_CLI_WRONG_PHARMACY', finess, 'certificate subject is not this FINESS (OU=1<FINESS>)');
    }
    return undefined;
  }
}
