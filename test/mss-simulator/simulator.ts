import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { finessOfOrganisationId } from '@passerelle/identifiers';
import type { TestPki } from '@passerelle/testing';

/**
 * A local MSSanté operator, strict enough to refuse what a real one would (REFERENCE §6, §9): SMTP submission with
 * STARTTLS required, a client certificate required and checked against the test CA, the sender an applicative
 * mailbox registered for the organisation of that certificate, recipients in the MSSanté domain, the X-MSS headers
 * the client reference requires. It advertises DSN and ENHANCEDSTATUSCODES, parses each mail with mailparser and
 * keeps it with its raw bytes. Switches: 4xx for the next n mails, 5xx for every mail, an outage (connections
 * refused), latency.
 */

export interface MssSimulatorOptions {
  /** PEM: the server's key, and its certificate followed by its chain (from the test PKI) */
  key: string | Buffer;
  cert: string | Buffer;
  /** PEM: the CA(s) client certificates must chain to */
  clientCa: string | Buffer;
  /** The operator's directory of applicative mailboxes: address → FINESS of the organisation that owns it */
  mailboxes: Record<string, string>;
  host?: string;
  /** 0 (default): any free port */
  port?: number;
  /** Called with each mail stored */
  onReceived?: (mail: ReceivedMail) => void;
}

export interface ReceivedMail {
  messageId: string | undefined;
  /** FINESS of the client certificate the session authenticated with */
  clientFiness: string;
  mailFrom: string;
  rcptTo: string[];
  /** MAIL FROM DSN parameters (RET, ENVID) */
  dsn: { ret: string | null; envid: string | null };
  /** RCPT TO DSN parameters, one per recipient (NOTIFY, ORCPT) */
  rcptDsn: { notify: string[] | undefined; orcpt: string | undefined }[];
  queueId: string;
  /** When the operator accepted it (epoch ms) */
  receivedAt: number;
  /** When its session was authenticated (epoch ms): a mail of a session opened before a client died may still arrive */
  sessionAt: number;
  raw: Buffer;
  parsed: ParsedMail;
}

type Reply = Error & { responseCode: number };

const reply = (responseCode: number, text: string): Reply => Object.assign(new Error(text), { responseCode });

const MSSANTE_DOMAIN = /@([A-Za-z0-9-]+\.)*mssante\.fr$/i;
const PATIENT_DOMAIN = /@patient\.mssante\.fr$/i;

export class MssSimulator {
  readonly received: ReceivedMail[] = [];
  /** Client certificates refused at session set-up, by reason */
  readonly refusedSessions: string[] = [];
  /** Connections accepted (a client that refuses to connect leaves this unchanged) */
  connections = 0;
  /** Delay before answering DATA */
  latencyMs = 0;
  private transientLeft = 0;
  private transientCode = 451;
  private rejectCode: number | undefined;
  private readonly revoked = new Set<string>();
  private readonly server: SMTPServer;
  private readonly sessions = new Map<string, string>();
  private readonly sessionTimes = new Map<string, number>();
  private readonly mailboxes: Map<string, string>;
  private address: AddressInfo | undefined;
  private down = false;

  /**
   * An operator serving the test PKI's TLS certificate (made with `serverNames`) and requiring client certificates
   * chained to its root: what every test and the demo start.
   */
  static forTestPki(
    pki: Pick<TestPki, 'server' | 'rootPem'>,
    mailboxes: Record<string, string>,
    options: Partial<MssSimulatorOptions> = {},
  ): MssSimulator {
    if (!pki.server) throw new Error('the test PKI has no TLS server certificate: createTestPki with serverNames');
    return new MssSimulator({
      key: readFileSync(pki.server.keyPem),
      cert: readFileSync(pki.server.certPem),
      clientCa: readFileSync(pki.rootPem),
      mailboxes,
      ...options,
    });
  }

  constructor(private readonly options: MssSimulatorOptions) {
    this.mailboxes = new Map(Object.entries(options.mailboxes).map(([mailbox, finess]) => [mailbox.toLowerCase(), finess]));
    this.server = new SMTPServer({
      name: 'mss-simulator.localhost',
      secure: false,
      key: options.key,
      cert: options.cert,
      ca: options.clientCa,
      minVersion: 'TLSv1.2',
      // The certificate is asked for in the handshake and judged in onSecure, so that a refusal is an SMTP reply the
      // client can read (a destroyed socket would only say "connection closed").
      requestCert: true,
      rejectUnauthorized: false,
      // Authentication is the client certificate; no SASL.
      disabledCommands: ['AUTH'],
      authOptional: true,
      hideDSN: false,
      hideENHANCEDSTATUSCODES: false,
      disableReverseLookup: true,
      size: 20 * 1024 * 1024,
      logger: false,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onSecure: (socket, session, callback) => callback(this.judgeCertificate(socket as TLSSocket, session)),
      onMailFrom: (address, session, callback) => callback(this.checkSender(address, session)),
      onRcptTo: (address, _session, callback) => callback(this.checkRecipient(address)),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.accept(Buffer.concat(chunks), session).then(
            (queueId) => callback(null, `Ok: queued as ${queueId}`),
            (err: Error) => callback(err),
          );
        });
      },
      onClose: (session) => this.sessions.delete(session.id),
    });
    this.server.on('error', () => undefined);
  }

  /** Starts listening; resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.server.address() as AddressInfo;
    return this.address.port;
  }

  get port(): number {
    if (!this.address) throw new Error('the simulator is not listening');
    return this.address.port;
  }

  /**
   * The next `count` mails get a 4xx at DATA (default 451), then the server accepts again. Replies carry the enhanced
   * status code smtp-server maps from the reply code (451 → 4.3.0, 550 → 5.1.1, 554 → 5.6.0, 530 → 5.7.0, 535 → 5.7.8).
   */
  failNext(count: number, code = 451): void {
    this.transientLeft = count;
    this.transientCode = code;
  }

  /** Every mail gets this 5xx at DATA (default 550) until {@link acceptAgain}. */
  reject(code = 550): void {
    this.rejectCode = code;
  }

  /**
   * The organisation's client certificates are revoked (as an operator learns from the IGC-Santé CRL): its sessions
   * are refused with 535 5.7.8 right after STARTTLS, before any mail, until {@link reinstate}.
   */
  revoke(finess: string): void {
    this.revoked.add(finess);
  }

  reinstate(finess: string): void {
    this.revoked.delete(finess);
  }

  /** Ends {@link reject} and {@link failNext}. */
  acceptAgain(): void {
    this.rejectCode = undefined;
    this.transientLeft = 0;
  }

  /** An outage: the port refuses connections (and open sessions are cut) until `outage(false)`. */
  async outage(on: boolean): Promise<void> {
    if (on === this.down) return;
    this.down = on;
    const net: Server = this.server.server;
    if (on) {
      for (const connection of this.server.connections) connection.close();
      await new Promise<void>((resolve) => net.close(() => resolve()));
    } else {
      await new Promise<void>((resolve, reject) => {
        net.once('error', reject);
        net.listen(this.port, this.address?.address, () => {
          net.off('error', reject);
          resolve();
        });
      });
    }
  }

  /** How many mails arrived more than once, counted by Message-ID. */
  duplicates(): number {
    const ids = this.received.map((m) => m.messageId ?? '');
    return ids.length - new Set(ids).size;
  }

  byMessageId(messageId: string): ReceivedMail[] {
    return this.received.filter((m) => m.messageId === messageId);
  }

  async close(): Promise<void> {
    this.down = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private judgeCertificate(socket: TLSSocket, session: SMTPServerSession): Reply | null {
    const peer = socket.getPeerCertificate();
    if (!peer || Object.keys(peer).length === 0) {
      this.refusedSessions.push('no-certificate');
      return reply(530, 'A client certificate (AUTH_CLI) is required');
    }
    if (!socket.authorized) {
      this.refusedSessions.push(String(socket.authorizationError));
      return reply(535, `Client certificate refused (${String(socket.authorizationError)})`);
    }
    const ou = peer.subject?.OU;
    const finess = (Array.isArray(ou) ? ou : [ou]).map((v) => (v ? finessOfOrganisationId(v) : undefined)).find(Boolean);
    if (!finess) {
      this.refusedSessions.push('no-organisation');
      return reply(535, 'Client certificate names no organisation (OU=1<FINESS>)');
    }
    if (this.revoked.has(finess)) {
      this.refusedSessions.push('revoked');
      return reply(535, '5.7.8 Client certificate revoked');
    }
    this.sessions.set(session.id, finess);
    this.sessionTimes.set(session.id, Date.now());
    return null;
  }

  private checkSender(address: SMTPServerAddress, session: SMTPServerSession): Reply | null {
    if (!session.secure) return reply(530, 'Must issue a STARTTLS command first');
    const finess = this.sessions.get(session.id);
    if (!finess) return reply(530, 'Authentication required');
    const owner = this.mailboxes.get(address.address.toLowerCase());
    if (owner === undefined) return reply(550, 'Sender is not a registered applicative mailbox');
    if (owner !== finess) return reply(550, "Sender mailbox does not belong to the certificate's organisation");
    return null;
  }

  private checkRecipient(address: SMTPServerAddress): Reply | null {
    if (!MSSANTE_DOMAIN.test(address.address)) return reply(550, 'Recipient outside the MSSanté trust space');
    return null;
  }

  private async accept(raw: Buffer, session: SMTPServerSession): Promise<string> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
    const header = (name: string) => {
      const value = parsed.headers.get(name.toLowerCase());
      return typeof value === 'string' ? value : undefined;
    };
    const rcptTo = session.envelope.rcptTo.map((r) => r.address);
    const hasXdm = parsed.attachments.some((a) => a.filename === 'IHE_XDM.ZIP');
    if (!parsed.messageId) throw reply(554, 'Message-ID required');
    if (!header('X-MSS-NIL')) throw reply(554, 'X-MSS-NIL required on every message');
    if (hasXdm && !header('X-MSS-CODECDA')) throw reply(554, 'X-MSS-CODECDA required with a CDA in IHE_XDM');
    if (hasXdm && !['O', 'N'].includes(header('X-MSS-INS') ?? '')) throw reply(554, 'X-MSS-INS (O/N) required with a CDA in IHE_XDM');
    if (rcptTo.some((r) => PATIENT_DOMAIN.test(r)) && header('X-MSS-MES') !== 'FIN') {
      throw reply(554, 'X-MSS-MES: FIN required to a patient mailbox');
    }
    if (this.rejectCode !== undefined) throw reply(this.rejectCode, 'Message refused by the operator (simulated)');
    if (this.transientLeft > 0) {
      this.transientLeft -= 1;
      throw reply(this.transientCode, 'Temporary failure, try again later (simulated)');
    }
    const queueId = randomBytes(6).toString('hex').toUpperCase();
    const mailFrom = session.envelope.mailFrom;
    const mail: ReceivedMail = {
      messageId: parsed.messageId,
      clientFiness: this.sessions.get(session.id) ?? '',
      mailFrom: mailFrom ? mailFrom.address : '',
      rcptTo,
      dsn: { ret: session.envelope.dsn?.ret ?? null, envid: session.envelope.dsn?.envid ?? null },
      rcptDsn: session.envelope.rcptTo.map((r) => ({ notify: r.dsn?.notify, orcpt: r.dsn?.orcpt })),
      queueId,
      receivedAt: Date.now(),
      sessionAt: this.sessionTimes.get(session.id) ?? 0,
      raw,
      parsed,
    };
    this.received.push(mail);
    this.options.onReceived?.(mail);
    return queueId;
  }
}
