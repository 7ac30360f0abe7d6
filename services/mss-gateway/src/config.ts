import { ConfigError } from '@passerelle/errors';
import {
  readDirectory,
  readFlag,
  readOptional,
  readParsed,
  readPort,
  readRequired,
  positiveInteger,
  readPemFile,
} from '@passerelle/kafka-runtime';

/** The mss-gateway's own settings (beside the runtime's). */
export interface MssGatewaySettings {
  /** The operator's SMTP submission service (STARTTLS) */
  smtp: { host: string; port: number; servername?: string; serverCa?: string; clientName?: string };
  /** `<FINESS>.p12` AUTH_CLI files (+ `.pass`, or `PASSERELLE_AUTH_P12_PASSPHRASE_<FINESS>`) */
  authDir: string;
  /** The trust anchors (PEM) the client certificate must chain to (IGC-Santé) */
  trustDir: string;
  connectionTimeoutMs: number;
  socketTimeoutMs: number;
  /** Test and demo INS OIDs accepted for a patient mailbox (never in production) */
  testPlatform: boolean;
  breaker: { threshold: number; openMs: number };
}

/**
 * The variables of the mss-gateway alone. It also reads, as the other services declare them:
 * `PASSERELLE_AUTH_DIR` and `PASSERELLE_AUTH_P12_PASSPHRASE_<FINESS>` (dmp-gateway), `PASSERELLE_TRUST_DIR`
 * (signer) and `PASSERELLE_TEST_PLATFORM` (composer).
 */
export const MSS_GATEWAY_VARIABLES = [
  'PASSERELLE_MSS_SMTP_HOST',
  'PASSERELLE_MSS_SMTP_PORT',
  'PASSERELLE_MSS_SMTP_SERVERNAME',
  'PASSERELLE_MSS_SERVER_CA',
  'PASSERELLE_MSS_CLIENT_NAME',
  'PASSERELLE_MSS_CONNECT_TIMEOUT_MS',
  'PASSERELLE_MSS_SOCKET_TIMEOUT_MS',
  'PASSERELLE_MSS_BREAKER_THRESHOLD',
  'PASSERELLE_MSS_BREAKER_OPEN_MS',
] as const;

// A host name or an IP address: no scheme, no port, no path (those would be silently ignored by nodemailer).
const HOST =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9a-fA-F:.]+\]?$/;

/** @throws ConfigError naming the variable and what it accepts (never the value). */
export function loadMssGatewayConfig(env: NodeJS.ProcessEnv = process.env): MssGatewaySettings {
  const host = readRequired(env, 'PASSERELLE_MSS_SMTP_HOST', "the host name of the MSSanté operator's SMTP submission service");
  if (!HOST.test(host)) throw new ConfigError('PASSERELLE_MSS_SMTP_HOST', 'must be a host name or an IP address (no scheme, port or path)');
  const servername = readOptional(env, 'PASSERELLE_MSS_SMTP_SERVERNAME');
  if (servername !== undefined && !HOST.test(servername))
    throw new ConfigError('PASSERELLE_MSS_SMTP_SERVERNAME', "must be the host name the server's certificate carries");
  const clientName = readOptional(env, 'PASSERELLE_MSS_CLIENT_NAME');
  if (clientName !== undefined && !HOST.test(clientName))
    throw new ConfigError('PASSERELLE_MSS_CLIENT_NAME', 'must be a host name (the EHLO name of this gateway)');
  const port = readPort(env, 'PASSERELLE_MSS_SMTP_PORT', 587);
  if (port === 0) throw new ConfigError('PASSERELLE_MSS_SMTP_PORT', 'must be a port number 1-65535 (default 587)');
  const serverCa = readPemFile(env, 'PASSERELLE_MSS_SERVER_CA', "the MSSanté server's CA certificates");
  return {
    smtp: { host, port, servername, serverCa, clientName },
    authDir: readDirectory(env, 'PASSERELLE_AUTH_DIR', '<FINESS>.p12 AUTH_CLI files (and <FINESS>.pass passphrase files)'),
    trustDir: readDirectory(env, 'PASSERELLE_TRUST_DIR', 'trust anchors (CA certificates, PEM)'),
    connectionTimeoutMs: readParsed(
      env,
      'PASSERELLE_MSS_CONNECT_TIMEOUT_MS',
      'must be milliseconds, 1 to 600000 (default 10000)',
      positiveInteger(600_000),
      10_000,
    ),
    socketTimeoutMs: readParsed(
      env,
      'PASSERELLE_MSS_SOCKET_TIMEOUT_MS',
      'must be milliseconds, 1 to 600000 (default 30000)',
      positiveInteger(600_000),
      30_000,
    ),
    testPlatform: readFlag(env, 'PASSERELLE_TEST_PLATFORM'),
    breaker: {
      threshold: readParsed(env, 'PASSERELLE_MSS_BREAKER_THRESHOLD', 'must be a count, 1 to 1000 (default 5)', positiveInteger(1_000), 5),
      openMs: readParsed(
        env,
        'PASSERELLE_MSS_BREAKER_OPEN_MS',
        'must be milliseconds, 1 to 600000 (default 5000)',
        positiveInteger(600_000),
        5_000,
      ),
    },
  };
}
