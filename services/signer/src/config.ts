import { readDirectory, readOneOf } from '@passerelle/kafka-runtime';
import { DIGEST_URI, type HashName } from '@passerelle/signature';

/** The signer's own settings (beside the runtime's). */
export interface SignerSettings {
  /** `<FINESS>.p12` files, with `<FINESS>.pass` passphrase files or `PASSERELLE_P12_PASSPHRASE_<FINESS>` */
  keyStoreDir: string;
  /** Trust anchors: the CA certificates (PEM) a pharmacy's certificate must chain to */
  trustDir: string;
  hash: HashName;
}

/**
 * The variables the signer reads besides the runtime's: {@link loadSignerConfig}'s, and the passphrases the key store
 * reads per pharmacy when it opens its PKCS#12 file.
 */
export const SIGNER_VARIABLES = [
  'PASSERELLE_KEYSTORE_DIR',
  'PASSERELLE_TRUST_DIR',
  'PASSERELLE_SIGNATURE_HASH',
  'PASSERELLE_P12_PASSPHRASE_<FINESS>',
] as const;

export const SIGNATURE_HASHES = Object.keys(DIGEST_URI) as HashName[];

/** @throws ConfigError naming the variable and what it accepts */
export function loadSignerConfig(env: NodeJS.ProcessEnv = process.env): SignerSettings {
  return {
    keyStoreDir: readDirectory(env, 'PASSERELLE_KEYSTORE_DIR', '<FINESS>.p12 files (and <FINESS>.pass passphrase files)'),
    trustDir: readDirectory(env, 'PASSERELLE_TRUST_DIR', 'trust anchors (CA certificates, PEM)'),
    hash: readOneOf(env, 'PASSERELLE_SIGNATURE_HASH', SIGNATURE_HASHES, 'sha256'),
  };
}
