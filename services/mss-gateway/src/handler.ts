import { H, type Breaker, type Defer, type Failure, type Headers, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import { MssError, messageIdFor, type RecipientOutcome } from '@passerelle/mss';
import { recipientRoute, statusRecord, type TopicNames } from '@passerelle/pipeline';
import type { DocumentState, MssMessage, StatusEntry } from '@passerelle/schemas';

/**
 * The failures that say the operator itself is unavailable: they count for the breaker. (`MSS_NOT_ATTEMPTED` is not
 * one: it only follows another recipient's failure in the same record, which says what happened: an unreachable
 * operator, or a client certificate it refused, which proves it up.)
 */
export const DESTINATION_DOWN = new Set(['MSS_UNAVAILABLE', 'MSS_TLS_FAILED']);

/** The route of each recipient of a record on the status trail, in the order of `to` ({@link recipientRoute}). */
export const routesOf = (message: Pick<MssMessage, 'audience' | 'to'>): string[] =>
  message.to.map((_, i) => recipientRoute(message.audience, i));

/** A recipient's route and why it failed: the code, and the SMTP code when the server answered. */
interface FailedRoute {
  route: string;
  code: string;
}

/**
 * What this gateway remembers between the attempts of a record (bounded, oldest first out): the recipients already
 * delivered (by Message-ID: a retry resends only the others), the status entries it wrote per document (so that its
 * next status record of the document carries every recipient's route), and the recipients that failed in the last
 * attempt of a record (for the failure's status). Lost on a restart: then a retry resends to every recipient (SMTP is
 * at-least-once; the Message-ID is the same) and a status record carries only the routes of its own attempt.
 */
export class DeliveryMemory {
  private readonly delivered = new Map<string, string>();
  private readonly entries = new Map<string, StatusEntry[]>();
  private readonly failed = new Map<string, FailedRoute[]>();

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

  /** The recipients of a record (a document's message to one audience) that failed in its attempt now ending. */
  rememberFailures(record: string, failures: FailedRoute[]): void {
    this.bounded(this.failed, record, failures);
  }

  takeFailures(record: string): FailedRoute[] | undefined {
    const failures = this.failed.get(record);
    this.failed.delete(record);
    return failures;
  }

  clear(): void {
    this.delivered.clear();
    this.entries.clear();
    this.failed.clear();
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

/** A failed recipient's code on the status trail: `MSS_SMTP_REJECTED 550`, or the code alone when no server answered. */
const failedCode = (o: Extract<RecipientOutcome, { outcome: 'transient' | 'permanent' }>): string =>
  o.error.smtp.smtpCode ? `${o.error.code} ${o.error.smtp.smtpCode}` : o.error.code;

/** The error a record fails with: the outcome's code, its message prefixed with the SMTP code (for the status). */
function failureOf(o: Extract<RecipientOutcome, { outcome: 'transient' | 'permanent' }>, failed: number, of: number): MssError {
  const smtp = o.error.smtp.smtpCode;
  const lead = smtp ? `smtp ${smtp}: ` : '';
  return new MssError(o.error.code, `${lead}${o.error.message} (${failed} of ${of} recipients)`, o.error.smtp, { cause: o.error });
}

/** The key of a record in the gateway's memory: a document's message to one audience. */
const recordKey = (m: Pick<MssMessage, 'documentId' | 'audience'>): string => `${m.documentId} ${m.audience}`;

/** The entries this gateway wrote for a document that the record's own history does not carry yet. */
const knownEntries = (memory: DeliveryMemory, m: Pick<MssMessage, 'documentId' | 'history'>): StatusEntry[] =>
  memory.entriesOf(m.documentId).filter((e) => !m.history.some((h) => h.at === e.at && h.stage === e.stage && h.detail === e.detail));

/**
 * A status record whose last entries are `entries` (one per recipient route), after `history`: the record's state is
 * the last entry's.
 */
function statusOf(
  topics: TopicNames,
  ids: { documentId: string; eventId: string },
  history: StatusEntry[],
  entries: StatusEntry[],
  carry: Headers,
): OutputRecord | undefined {
  const last = entries.at(-1);
  if (!last) return undefined;
  return statusRecord(topics.status, {
    ...ids,
    state: last.state as DocumentState,
    stage: last.stage,
    detail: last.detail,
    attempt: last.attempt ?? undefined,
    at: last.at,
    history: [...history, ...entries.slice(0, -1)],
    carry,
  }).record;
}

/**
 * An `mss.messages` record is delivered, one SMTP transaction per recipient, and each recipient's route on the status
 * trail says so: `delivered` with `mss:professional-2: 250 <queue id>` (the route by rank, the server's code and queue
 * id; never an address). A recipient delivered on an earlier attempt is not sent again. A 5xx is thrown as permanent
 * (dead letter, with the SMTP code); a 4xx or an unreachable operator as transient (retry tiers), and the latter
 * counts for the breaker: while it is open the record is not sent and its partition waits. Checks before sending (a
 * patient mailbox without a qualified INS, the client certificate) throw as they are: nothing leaves.
 */
export function mssGatewayHandler(cfg: MssGatewayConfig) {
  const now = cfg.now ?? Date.now;
  const memory = cfg.memory ?? new DeliveryMemory();
  return async (record: InputRecord<MssMessage>): Promise<OutputRecord[] | Defer> => {
    const admitted = cfg.breaker.admit();
    if (!admitted.send) return { deferUntil: admitted.until };
    const message = record.value;
    const routes = routesOf(message);
    const ids = message.to.map((to) => messageIdFor(message.documentId, to, message.from));
    const pending = message.to.filter((_, i) => memory.deliveredAs(ids[i] as string) === undefined);
    memory.takeFailures(recordKey(message));
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
    const at = now();
    const routeOfId = new Map(ids.map((id, i) => [id, routes[i] as string]));
    for (const o of outcomes) {
      if (o.outcome !== 'delivered') continue;
      memory.rememberDelivery(o.messageId, deliveredDetail(o));
      const entry: StatusEntry = {
        state: 'delivered',
        stage: 'mss-gateway',
        at,
        detail: `${routeOfId.get(o.messageId)}: ${deliveredDetail(o)}`,
        attempt: null,
      };
      memory.rememberEntry(message.documentId, entry);
    }
    const failures = outcomes.filter((o) => o.outcome !== 'delivered');
    const permanent = failures.find((o) => o.outcome === 'permanent');
    const first = permanent ?? failures[0];
    if (first) {
      memory.rememberFailures(
        recordKey(message),
        failures.map((o) => ({ route: routeOfId.get(o.messageId) as string, code: failedCode(o) })),
      );
      const down = failures.find((o) => DESTINATION_DOWN.has(o.error.code));
      if (down) {
        // Already open (a failed probe), or opened by this failure: the record waits with its partition.
        if (cfg.breaker.failed(down.error.code)) {
          memory.takeFailures(recordKey(message));
          return { deferUntil: cfg.breaker.retryAt };
        }
      } else {
        // The operator answered (4xx, 5xx, a refused certificate): it is up.
        cfg.breaker.succeeded();
      }
      throw failureOf(first, failures.length, message.to.length);
    }
    if (outcomes.length > 0) cfg.breaker.succeeded();
    // The history the record carries (up to `routed`), then what this gateway wrote for the document: each
    // recipient's delivery, of this record and of the document's other message.
    const known = knownEntries(memory, message);
    const mine = known.filter((e) => routes.some((r) => e.detail?.startsWith(`${r}: `)));
    const others = known.filter((e) => !mine.includes(e));
    // Every recipient delivered on earlier attempts whose entries the bounded memory has let go: written again.
    const entries: StatusEntry[] =
      mine.length > 0
        ? mine
        : routes.map((r, i) => ({
            state: 'delivered',
            stage: 'mss-gateway',
            at,
            detail: `${r}: ${memory.deliveredAs(ids[i] as string) ?? '250'}`,
            attempt: null,
          }));
    const status = statusOf(cfg.topics, message, [...message.history, ...others], entries, record.headers);
    return status ? [status] : [];
  };
}

const CERTIFICATE = (code: string) => code.startsWith('CERT_') || code.startsWith('AUTH_CLI_');

/**
 * The status of a record that failed: one entry per recipient that failed, waiting for a certificate (`CERT_*`:
 * missing, expired, refused by the server), retrying, or dead-lettered, naming the recipient's route and the code,
 * with the SMTP code when the server answered (`mss:professional-2: MSS_SMTP_REJECTED 550`). A failure before
 * sending (the record, the identity, the certificate) concerns every recipient of the record. Never an address.
 */
export function mssGatewayFailureStatus(cfg: Pick<MssGatewayConfig, 'topics'> & { memory?: DeliveryMemory }) {
  return (f: Failure<MssMessage>): OutputRecord[] => {
    const m = f.record.value;
    const documentId = m?.documentId ?? f.record.headers[H.documentId];
    const eventId = m?.eventId ?? f.record.headers[H.eventId];
    if (!documentId || !eventId) return [];
    const state: DocumentState = f.deadLettered ? 'dead-lettered' : CERTIFICATE(f.error.code) ? 'waiting-for-certificate' : 'retrying';
    // Without the handler's word (a record refused before sending, or not decoded): the error's code, with the SMTP
    // code its message starts with, for every recipient of the record.
    const smtp = /^smtp (\d{3}): /.exec(f.error.message)?.[1];
    const code = smtp ? `${f.error.code} ${smtp}` : f.error.code;
    const failed: FailedRoute[] = m
      ? (cfg.memory?.takeFailures(recordKey(m)) ?? routesOf(m).map((route) => ({ route, code })))
      : [{ route: '', code }];
    const at = Date.now();
    const entries: StatusEntry[] = failed.map(({ route, code }) => ({
      state,
      stage: 'mss-gateway',
      at,
      detail: route ? `${route}: ${code}` : code,
      attempt: f.attempt,
    }));
    const history = m ? [...m.history, ...(cfg.memory ? knownEntries(cfg.memory, m) : [])] : [];
    const status = statusOf(cfg.topics, { documentId, eventId }, history, entries, f.record.headers);
    return status ? [status] : [];
  };
}
