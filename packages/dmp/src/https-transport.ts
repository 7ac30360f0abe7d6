import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { DmpDeliveryError } from './errors';
import type { ClientCredential } from './auth-cli';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface DmpTransportOptions {
  /** CA certificates (PEM) the DMP's server certificate must chain to; default Node's bundle */
  serverCa?: string | string[];
  /** Whole-exchange timeout: connect, send, wait, read (default 30 s) */
  timeoutMs?: number;
  /** Kept-alive sockets per pharmacy (default 4) */
  maxSockets?: number;
  /** Largest answer read (default 64 MiB: ITI-43 answers carry documents) */
  maxAnswerBytes?: number;
}

// Socket and TLS errors: the DMP (or the network) is unavailable now. Certificate errors of the server's side are
// also transient: a misconfigured endpoint is fixed by an operator, the submission waits.
const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH)/;

/**
 * HTTPS to the DMP with mutual TLS 1.2+: one keep-alive agent per pharmacy (its AUTH_CLI key and chain), so that
 * consecutive deliveries of a pharmacy reuse a connection and no pharmacy's connection ever carries another's
 * identity. An agent is replaced when the pharmacy's certificate changes (rotation).
 */
export class DmpHttpsTransport {
  private readonly agents = new Map<string, { fingerprint: string; agent: Agent }>();
  private readonly timeoutMs: number;

  constructor(private readonly options: DmpTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The pharmacy's agent (exposed for tests that check connection reuse). */
  agentFor(credential: ClientCredential): Agent {
    const existing = this.agents.get(credential.finess);
    if (existing && existing.fingerprint === credential.fingerprint) return existing.agent;
    existing?.agent.destroy();
    const agent = new Agent({
      keepAlive: true,
      maxSockets: this.options.maxSockets ?? 4,
      key: credential.keyPem,
      cert: credential.certPem,
      minVersion: 'TLSv1.2',
      ...(this.options.serverCa ? { ca: this.options.serverCa } : {}),
    });
    this.agents.set(credential.finess, { fingerprint: credential.fingerprint, agent });
    return agent;
  }

  /**
   * POSTs a body and reads the whole answer. Throws DmpDeliveryError (transient) on timeout (`DMP_TIMEOUT`), TLS
   * failure (`DMP_TLS`), connection failure (`DMP_UNREACHABLE`). HTTP statuses are the caller's to read.
   */
  post(
    url: string,
    credential: ClientCredential,
    contentType: string,
    body: Buffer,
    extraHeaders: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    const agent = this.agentFor(credential);
    const limit = this.options.maxAnswerBytes ?? 64 * 1024 * 1024;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: DmpDeliveryError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(error);
      };
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { 'Content-Type': contentType, 'Content-Length': String(body.length), ...extraHeaders },
      });
      const timer = setTimeout(
        () => fail(new DmpDeliveryError('DMP_TIMEOUT', 'transient', `no complete answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) fail(new DmpDeliveryError('DMP_ANSWER_UNREADABLE', 'transient', `answer larger than ${limit} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (cause) =>
          fail(new DmpDeliveryError('DMP_UNREACHABLE', 'transient', 'connection lost while reading the answer', undefined, { cause })),
        );
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', (cause: NodeJS.ErrnoException) => {
        const code = cause.code ?? '';
        if (TLS_ERROR.test(code) || /ssl|tls|certificate|handshake/i.test(cause.message)) {
          fail(new DmpDeliveryError('DMP_TLS', 'transient', `TLS failure (${code || 'handshake'})`, undefined, { cause }));
        } else {
          fail(new DmpDeliveryError('DMP_UNREACHABLE', 'transient', `connection failure (${code || 'socket'})`, undefined, { cause }));
        }
      });
      req.end(body);
    });
  }

  /** Closes every kept-alive connection. */
  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
