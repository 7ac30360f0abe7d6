import type { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createTransport } from 'nodemailer';
import type { MssMessage } from '@passerelle/schemas';
import { checkClientCredential, type ClientCredential } from './client-certificate';
import { MssError } from './errors';
import { checkMessage, checkPatientRecipients, mailOptions, messageIdFor } from './mail';
import { classifySmtpFailure, queueIdOf, type TransportFailure } from './smtp-outcome';

/** The operator's SMTP submission service (REFERENCE §9: STARTTLS on 587, TLS ≥ 1.2, client certificate). */
export interface SmtpSettings {
  host: string;
  /** Default 587 */
  port?: number;
  /** The name the server's certificate must carry, when not the host (e.g. connecting by IP address) */
  servername?: string;
  /** CA certificates (PEM) the server's certificate must chain to; default Node's bundle */
  serverCa?: string | Buffer | (string | Buffer)[];
  /** EHLO name of this gateway; default the machine's */
  clientName?: string;
  /** Defaults 10 s, 10 s, 30 s: a send never waits unbounded */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export interface DeliveryDeps {
  smtp: SmtpSettings;
  /** The sending pharmacy's AUTH_CLI credential (its applicative mailbox is the record's `from`) */
  credential: ClientCredential;
  /** The CAs the client certificate must chain to (IGC-Santé), checked before connecting */
  trustAnchors: readonly X509Certificate[];
  /** Test and demo INS OIDs are accepted for a patient mailbox only on a test platform */
  testPlatform: boolean;
  now?: () => Date;
}

export interface DeliveryOptions {
  /** Send only to these recipients of the record (those not delivered yet, on a retry); default all */
  recipients?: readonly string[];
}

export type RecipientOutcome =
  | {
      recipient: string;
      messageId: string;
      outcome: 'delivered';
      /** The server's reply code (250) */
      smtpCode: number;
      /** The server's queue id, from its reply, when it gives one */
      queueId: string | undefined;
    }
  | {
      recipient: string;
      messageId: string;
      outcome: 'transient' | 'permanent';
      error: MssError;
    };

const DEFAULT_PORT = 587;

/**
 * The TLS context of a pharmacy's connections (its AUTH_CLI key and chain, the CAs the server must chain to, TLS ≥ 1.2),
 * made once per credential and reused by every connection: parsing the key, the chain and the CAs for each
 * connection was a sixth of the gateway's CPU per record. A renewed credential is a new object, so a new context.
 */
const contexts = new WeakMap<ClientCredential, Map<SmtpSettings['serverCa'], SecureContext>>();
function secureContextFor(credential: ClientCredential, serverCa: SmtpSettings['serverCa']): SecureContext {
  let byCa = contexts.get(credential);
  if (!byCa) contexts.set(credential, (byCa = new Map()));
  let context = byCa.get(serverCa);
  if (!context) {
    context = createSecureContext({
      key: credential.keyPem,
      cert: credential.certChainPem,
      ...(serverCa ? { ca: serverCa } : {}),
      minVersion: 'TLSv1.2',
    });
    byCa.set(serverCa, context);
  }
  return context;
}

function transportFor(deps: DeliveryDeps) {
  const { smtp, credential } = deps;
  return createTransport({
    host: smtp.host,
    port: smtp.port ?? DEFAULT_PORT,
    secure: false,
    // STARTTLS or nothing: a server that does not offer it gets no mail in clear.
    requireTLS: true,
    ...(smtp.clientName ? { name: smtp.clientName } : {}),
    tls: {
      secureContext: secureContextFor(credential, smtp.serverCa),
      ...(smtp.servername ? { servername: smtp.servername } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    },
    connectionTimeout: smtp.connectionTimeoutMs ?? 10_000,
    greetingTimeout: smtp.greetingTimeoutMs ?? 10_000,
    socketTimeout: smtp.socketTimeoutMs ?? 30_000,
    // The record is data: never a path or a URL to fetch. No logger: nodemailer would log addresses.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
}

/** The operator cannot be reached at all: the other recipients would meet the same, so they are not tried now. */
const unreachable = (error: MssError) =>
  error.code === 'MSS_UNAVAILABLE' || error.code === 'MSS_TLS_FAILED' || error.code === 'CERT_REFUSED_BY_SERVER';

/**
 * Delivers one `mss.messages` record: one SMTP transaction per recipient (its own Message-ID, envelope and outcome),
 * over STARTTLS with the pharmacy's client certificate.
 *
 * Before connecting, and for the whole record: the record's rules ({@link checkMessage}), the patient mailbox only
 * for a qualified INS that is the mailbox ({@link checkPatientRecipients}), and the client certificate
 * ({@link checkClientCredential}). These throw; nothing is sent.
 *
 * Then per recipient: 250 → `delivered` with the queue id; 4xx, unreachable, TLS → `transient`; 5xx → `permanent`
 * with the code. After an unreachable operator, the remaining recipients are not tried (`MSS_NOT_ATTEMPTED`,
 * transient). SMTP is at-least-once: a crash after the server's 250 and before the caller records it sends the mail
 * again, with the same Message-ID.
 *
 * @throws MssError MSS_INVALID_MESSAGE, MSS_PATIENT_NOT_QUALIFIED, MSS_PATIENT_INS_MISMATCH (permanent)
 * @throws CertificateError CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_KEY_USAGE, CERT_UNTRUSTED (transient)
 */
export async function deliverMessage(message: MssMessage, deps: DeliveryDeps, options: DeliveryOptions = {}): Promise<RecipientOutcome[]> {
  checkMessage(message);
  const recipients = options.recipients
    ? message.to.filter((to) => options.recipients?.some((r) => r.toLowerCase() === to.toLowerCase()))
    : message.to;
  if (options.recipients && recipients.length !== options.recipients.length) {
    throw new MssError('MSS_INVALID_MESSAGE', 'options.recipients must be recipients of the record');
  }
  await checkPatientRecipients(message, { testPlatform: deps.testPlatform });
  const now = deps.now ?? (() => new Date());
  checkClientCredential(deps.credential, deps.trustAnchors, now());

  const transport = transportFor(deps);
  const outcomes: RecipientOutcome[] = [];
  let stop: MssError | undefined;
  try {
    for (const recipient of recipients) {
      const messageId = messageIdFor(message.documentId, recipient, message.from);
      if (stop) {
        const error = new MssError('MSS_NOT_ATTEMPTED', `not attempted: the MSSanté server was unreachable (${stop.code})`, stop.smtp);
        outcomes.push({ recipient, messageId, outcome: 'transient', error });
        continue;
      }
      try {
        const info = await transport.sendMail(mailOptions(message, { recipient, date: now() }));
        const accepted = (info.accepted as unknown[]).map((a) =>
          (typeof a === 'string' ? a : String((a as { address?: unknown }).address)).toLowerCase(),
        );
        if (!accepted.includes(recipient.toLowerCase())) {
          // nodemailer resolves when at least one recipient was accepted; with one per transaction this cannot
          // happen, but an outcome must never say delivered without the server's word.
          throw Object.assign(new Error('recipient not accepted'), { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' });
        }
        const smtpCode = Number(/^\d{3}/.exec(info.response)?.[0] ?? 250);
        outcomes.push({ recipient, messageId, outcome: 'delivered', smtpCode, queueId: queueIdOf(info.response) });
      } catch (err) {
        const error = classifySmtpFailure(err as TransportFailure);
        outcomes.push({ recipient, messageId, outcome: error.retryable ? 'transient' : 'permanent', error });
        if (unreachable(error)) stop = error;
      }
    }
  } finally {
    transport.close();
  }
  return outcomes;
}
