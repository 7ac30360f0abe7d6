import { H, type Breaker, type Defer, type Failure, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import { MssError, messageIdFor, type RecipientOutcome } from '@passerelle/mss';
import { statusRecord, type TopicNames } from '@passerelle/pipeline';
import type { MssMessage, StatusEntry } from '@passerelle/schemas';

/** The failures that say the operator itself is unavailable: they count for the breaker. */
export const DESTINATION_DOWN = new Set(['MSS_UNAVAILABLE', 'MSS_TLS_FAILED', 'MSS_NOT_ATTEMPTED']);

/** The route of a record on the status trail, as the router names it in its `routed` detail. */
export const routeOf = (message: Pick<MssMessage, 'audience'>): string => `mss:${message.audience}`;

/**
 * What this gateway remembers between the attempts of a record (bounded, oldest first out): the recipients already
 * delivered (by Message-ID: a retry resends only the others) and the status entries it wrote per document (so that
 * its next status record of the document carries both MSSanté routes). Lost on a restart: then a retry resends to
 * every recipient (SMTP is at-least-once; the Message-ID is the same) and a status record carries only its own route.
 */
export class DeliveryMemory {
  private readonly delivered = new Map<string, string>();
  private readonly entries = new Map<string, StatusEntry[]>();

  constructor(private readonly capacity = 20_000) {}

  deliveredAs(messageId: string): string | undefined {
    return this.delivered.get(messageId);
  }

  rememberDelivery(messageId: string, detail: string): void {
    this.bounded(this.delivered, messageId, detail);
  }

  entriesOf(documentId: string): StatusEntry[] {
    return this.entries.get(documentId) ?? [];
  }

  rememberEntry(documentId: string, entry: StatusEntry): void {
    this.bounded(this.entries, documentId, [...this.entriesOf(documentId), entry]);
  }

  clear(): void {
    this.delivered.clear();
    this.entries.clear();
  }

  private bounded<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.capacity) map.delete(map.keys().next().value as string);
  }
}

export interface MssGatewayConfig {
  topics: TopicNames;
  /** Sends the record to these recipients (all of them when undefined), one SMTP transaction each */
  deliver: (message: MssMessage, recipients: readonly string[] | undefined) => Promise<RecipientOutcome[]>;
  breaker: Breaker;
  memory?: DeliveryMemory;
  now?: () => number;
}

/** `250 <queue id>` (the server's word, never an address). */
const deliveredDetail = (o: Extract<RecipientOutcome, { outcome: 'delivered' }>): string =>
  o.queueId ? `${o.smtpCode} ${o.queueId}` : `${o.smtpCode}`;

/** The error a record fails with: the outcome's code, its message prefixed with the SMTP code (for the status). */
function failureOf(o: Extract<RecipientOutcome, { outcome: 'transient' | 'permanent' }>, failed: number, of: number): MssError {
  const smtp = o.error.smtp.smtpCode;
  const lead = smtp ? `smtp ${smtp}: ` : '';
  return new MssError(o.error.code, `${lead}${o.error.message} (${failed} of ${of} recipients)`, o.error.smtp, { cause: o.error });
}

/**
 * An `mss.messages` record is delivered, one SMTP transaction per recipient, and its route's status says so:
 * `delivered` with `mss:<audience>: 250 <queue id>` (one per recipient, `;`-separated, in the order of `to`). A
 * recipient delivered on an earlier attempt is not sent again. A 5xx is thrown as permanent (dead letter, with the
 * SMTP code); a 4xx or an unreachable operator as transient (retry tiers), and the latter counts for the breaker:
 * while it is open the record is not sent and its partition waits. Checks before sending (a patient mailbox
 * without a qualified INS, the client certificate) throw as they are: nothing leaves.
 */
export function mssGatewayHandler(cfg: MssGatewayConfig) {
  const now = cfg.now ?? Date.now;
  const memory = cfg.memory ?? new DeliveryMemory();
  return async (record: InputRecord<MssMessage>): Promise<OutputRecord[] | Defer> => {
    const admitted = cfg.breaker.admit();
    if (!admitted.send) return { deferUntil: admitted.until };
    const message = record.value;
    const route = routeOf(message);
    const ids = new Map(message.to.map((to) => [to, messageIdFor(message.documentId, to, message.from)]));
    const pending = message.to.filter((to) => memory.deliveredAs(ids.get(to) as string) === undefined);
    let outcomes: RecipientOutcome[] = [];
    try {
      if (pending.length > 0) outcomes = await cfg.deliver(message, pending.length === message.to.length ? undefined : pending);
    } catch (err) {
      // Refused before sending (the record, a patient's identity, the client certificate): the operator was not
      // reached, so a probe it was is not one.
      cfg.breaker.released();
      throw err;
    }
    if (pending.length === 0) cfg.breaker.released();
    for (const o of outcomes) if (o.outcome === 'delivered') memory.rememberDelivery(o.messageId, deliveredDetail(o));
    const failures = outcomes.filter((o) => o.outcome !== 'delivered');
    const permanent = failures.find((o) => o.outcome === 'permanent');
    const first = permanent ?? failures[0];
    if (first) {
      const down = failures.find((o) => DESTINATION_DOWN.has(o.error.code));
      if (down) {
        // Already open (a failed probe), or opened by this failure: the record waits with its partition.
        if (cfg.breaker.failed(down.error.code)) return { deferUntil: cfg.breaker.retryAt };
      } else {
        // The operator answered (4xx, 5xx, a refused certificate): it is up.
        cfg.breaker.succeeded();
      }
      throw failureOf(first, failures.length, message.to.length);
    }
    if (outcomes.length > 0) cfg.breaker.succeeded();
    const answers = message.to.map((to) => memory.deliveredAs(ids.get(to) as string) ?? '250');
    // The history the record carries (up to `routed`), then what this gateway wrote for the document's other route.
    const known = memory.entriesOf(message.documentId).filter((e) => !message.history.some((h) => h.at === e.at && h.stage === e.stage));
    const status = statusRecord(cfg.topics.status, {
      documentId: message.documentId,
      eventId: message.eventId,
      state: 'delivered',
      stage: 'mss-gateway',
      detail: `${route}: ${answers.join('; ')}`,
      history: [...message.history, ...known],
      at: now(),
      carry: record.headers,
    });
    memory.rememberEntry(message.documentId, status.entry);
    return [status.record];
  };
}

const CERTIFICATE = (code: string) => code.startsWith('CERT_') || code.startsWith('AUTH_CLI_');

/**
 * The status of a record that failed: waiting for a certificate (`CERT_*`: missing, expired, refused by the
 * server), retrying, or dead-lettered; the detail names the route and the code, and the SMTP code when the server
 * answered (`mss:professionals: MSS_SMTP_REJECTED 550`). Never an address.
 */
export function mssGatewayFailureStatus(cfg: Pick<MssGatewayConfig, 'topics'> & { memory?: DeliveryMemory }) {
  return (f: Failure<MssMessage>): OutputRecord[] => {
    const m = f.record.value;
    const documentId = m?.documentId ?? f.record.headers[H.documentId];
    const eventId = m?.eventId ?? f.record.headers[H.eventId];
    if (!documentId || !eventId) return [];
    const smtp = /^smtp (\d{3}): /.exec(f.error.message)?.[1];
    const code = smtp ? `${f.error.code} ${smtp}` : f.error.code;
    const known =
      m && cfg.memory ? cfg.memory.entriesOf(documentId).filter((e) => !m.history.some((h) => h.at === e.at && h.stage === e.stage)) : [];
    return [
      statusRecord(cfg.topics.status, {
        documentId,
        eventId,
        stage: 'mss-gateway',
        state: f.deadLettered ? 'dead-lettered' : CERTIFICATE(f.error.code) ? 'waiting-for-certificate' : 'retrying',
        detail: m ? `${routeOf(m)}: ${code}` : code,
        attempt: f.attempt,
        history: [...(m?.history ?? []), ...known],
        carry: f.record.headers,
      }).record,
    ];
  };
}
