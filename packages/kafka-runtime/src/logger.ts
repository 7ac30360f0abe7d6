import pino, { type Logger } from 'pino';

/**
 * JSON logs. Passerelle logs ids, topics, offsets and error codes, never personal data; the redaction below is
 * the second line of defence should a value slip into a log call.
 */
export const REDACTED_KEYS = [
  'ins', 'matricule', 'patient', 'birthFamilyName', 'birthGivenNames', 'firstGivenName', 'birthDate', 'birthPlace',
  'usedFamilyName', 'usedGivenName', 'familyName', 'givenName', 'documentXml', 'signatureXml', 'value', 'body',
];

export function createLogger(service: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: service,
      level: process.env.LOG_LEVEL ?? 'info',
      base: { service },
      redact: { paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
