import { ConfigError } from '@passerelle/errors';
import { readDirectory, readOneOf, readOptional, readParsed, readRequired, positiveInteger, readPemFile } from '@passerelle/kafka-runtime';

/** The dmp-gateway's own settings (beside the runtime's). */
export interface DmpGatewaySettings {
  /** The DMP's ITI-41 repository endpoint (https) */
  endpoint: string;
  /** `<FINESS>.p12` AUTH_CLI files (+ `.pass`, or `PASSERELLE_AUTH_P12_PASSPHRASE_<FINESS>`) */
  authDir: string;
  /** The SIGN key store (for the VIHF) and the trust anchors of organisation certificates */
  keyStoreDir: string;
  trustDir: string;
  /** CA certificates (PEM) the DMP's server certificate must chain to (default: Node's bundle) */
  serverCa?: string;
  timeoutMs: number;
  software: { id: string; name: string; version: string; homologation?: string };
  vihfHash: 'sha256' | 'sha1';
  breaker: { threshold: number; openMs: number };
}

export const DMP_GATEWAY_VARIABLES = [
  'PASSERELLE_DMP_ENDPOINT',
  'PASSERELLE_AUTH_DIR',
  'PASSERELLE_AUTH_P12_PASSPHRASE_<FINESS>',
  'PASSERELLE_DMP_SERVER_CA',
  'PASSERELLE_DMP_TIMEOUT_MS',
  'PASSERELLE_LPS_ID',
  'PASSERELLE_LPS_NAME',
  'PASSERELLE_LPS_VERSION',
  'PASSERELLE_LPS_HOMOLOGATION',
  'PASSERELLE_VIHF_HASH',
  'PASSERELLE_DMP_BREAKER_THRESHOLD',
  'PASSERELLE_DMP_BREAKER_OPEN_MS',
] as const;

/**
 * @throws ConfigError naming the variable and what it accepts. The SIGN key store is the signer's
 * (`PASSERELLE_KEYSTORE_DIR`, `PASSERELLE_TRUST_DIR`): the VIHF is signed with the organisation's SIGN certificate.
 */
export function loadDmpGatewayConfig(env: NodeJS.ProcessEnv = process.env): DmpGatewaySettings {
  const endpoint = readRequired(env, 'PASSERELLE_DMP_ENDPOINT', "the https URL of the DMP's ITI-41 repository service");
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:')
    throw new ConfigError('PASSERELLE_DMP_ENDPOINT', "must be the https URL of the DMP's ITI-41 repository service");
  const serverCa = readPemFile(env, 'PASSERELLE_DMP_SERVER_CA', "the DMP server's CA certificates");
  return {
    endpoint,
    authDir: readDirectory(env, 'PASSERELLE_AUTH_DIR', '<FINESS>.p12 AUTH_CLI files (and <FINESS>.pass passphrase files)'),
    keyStoreDir: readDirectory(env, 'PASSERELLE_KEYSTORE_DIR', '<FINESS>.p12 SIGN files (and <FINESS>.pass passphrase files)'),
    trustDir: readDirectory(env, 'PASSERELLE_TRUST_DIR', 'trust anchors (CA certificates, PEM)'),
    serverCa,
    timeoutMs: readParsed(
      env,
      'PASSERELLE_DMP_TIMEOUT_MS',
      'must be milliseconds, 1 to 600000 (default 30000)',
      positiveInteger(600_000),
      30_000,
    ),
    software: {
      id: readRequired(env, 'PASSERELLE_LPS_ID', "the software's identifier (VIHF LPS_ID)"),
      name: readOptional(env, 'PASSERELLE_LPS_NAME') ?? 'Passerelle',
      version: readOptional(env, 'PASSERELLE_LPS_VERSION') ?? '0.1.0',
      homologation: readOptional(env, 'PASSERELLE_LPS_HOMOLOGATION'),
    },
    vihfHash: readOneOf(env, 'PASSERELLE_VIHF_HASH', ['sha256', 'sha1'] as const, 'sha256'),
    breaker: {
      threshold: readParsed(env, 'PASSERELLE_DMP_BREAKER_THRESHOLD', 'must be a count, 1 to 1000 (default 5)', positiveInteger(1_000), 5),
      openMs: readParsed(
        env,
        'PASSERELLE_DMP_BREAKER_OPEN_MS',
        'must be milliseconds, 1 to 600000 (default 5000)',
        positiveInteger(600_000),
        5_000,
      ),
    },
  };
}
