import { H, readTopicToEnd, type Failure, type Headers, type OutputRecord, type RegistryCodec } from '@passerelle/kafka-runtime';
import { ROUTES, STATES, type DocumentState, type DocumentStatus, type RouteKind, type StatusEntry } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';
import { carriedUsageHeaders } from './usage-facts';

export type { DocumentState };

/** Whether a state ends a document's journey (the catalogue says which; an unknown state is not final). */
export function isFinal(state: string): boolean {
  return (STATES as Record<string, { final: boolean } | undefined>)[state]?.final ?? false;
}

/** Where one route of a document stands. */
export interface RouteProgress {
  /** As the router names it: `dmp`, `mss:patient`, `mss:professional-1`… (one per recipient, {@link recipientRoute}) */
  route: string;
  /** sent: on its topic; delivered; failed: dead-lettered by its gateway; waiting: its gateway retries */
  state: 'sent' | 'delivered' | 'failed' | 'waiting';
  /** The destination's answer (delivered), or the error code */
  detail: string | null;
  /** The route has a gateway: it is done only once delivered (or failed) */
  delivered: boolean;
}

const kindOf = (route: string): RouteKind | undefined => {
  const kind = route.split(':')[0] as string;
  return kind in ROUTES ? (kind as RouteKind) : undefined;
};

/**
 * The route of one MSSanté recipient on the status trail: `mss:patient` (a patient message has one recipient), or
 * `mss:professional-<n>`, n counted from 1 in the order of the message's `to`. Never the address: a professional's
 * mailbox names the professional, a patient's is the INS. The router names these routes in its `routed` entry and
 * the mss-gateway writes each recipient's delivery under its own.
 */
export function recipientRoute(audience: 'patient' | 'professionals', index: number): string {
  return audience === 'patient' ? 'mss:patient' : `mss:professional-${index + 1}`;
}

/** The route an entry's detail starts with (`mss:patient: …`), if it names one: the route's kind, then `:` words. */
const namedRoute = (detail: string | null): string | undefined => {
  const m = /^([a-z]+(?::[a-z0-9-]+)?):(?: |$)/.exec(detail ?? '');
  return m && kindOf(m[1] as string) ? m[1] : undefined;
};

const concerns = (detail: string | null, route: string): boolean => {
  const named = namedRoute(detail);
  return named === undefined || named === route;
};

/** The routes a document took (from its last `routed` entry) and where each stands, from the entries of its gateway. */
export function routeProgress(status: Pick<DocumentStatus, 'history'>): RouteProgress[] {
  const routed = [...status.history].reverse().find((h) => h.state === 'routed');
  if (!routed?.detail) return [];
  const taken = (routed.detail.split(';')[0] ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r && r !== 'no-route');
  return taken.map((route) => {
    const kind = kindOf(route);
    const gateway: string | null = kind ? ROUTES[kind].gateway : null;
    // A gateway that delivers several routes (the mss-gateway: `mss:patient`, `mss:professional-1`…) names the route
    // at the start of its detail (`mss:patient: 250 <queue id>`); an entry that names no route is about all of them.
    const last = gateway
      ? [...status.history].reverse().find((h) => h.stage === gateway && h.at >= routed.at && concerns(h.detail, route))
      : undefined;
    const state: RouteProgress['state'] = !last
      ? 'sent'
      : last.state === 'delivered'
        ? 'delivered'
        : last.state === 'dead-lettered'
          ? 'failed'
          : 'waiting';
    const detail = last?.detail?.startsWith(`${route}: `) ? last.detail.slice(route.length + 2) : (last?.detail ?? null);
    return { route, state, detail, delivered: gateway !== null };
  });
}

/**
 * A document is done when its state is final and every route it took that has a gateway is delivered or failed: a
 * `routed` document waits for its DMP and MSSanté deliveries; a route without a gateway would end on its topic.
 */
export function isDone(status: Pick<DocumentStatus, 'state' | 'history'>): boolean {
  if (!isFinal(status.state)) return false;
  return routeProgress(status).every((r) => !r.delivered || r.state === 'delivered' || r.state === 'failed');
}

/**
 * A record for `documents.status` (compacted, keyed by document id): the document's new state and its whole history,
 * so that the last record of a key tells everything. The history travels inside the pipeline's records, stage to
 * stage; a failure whose record could not be decoded starts from what the headers tell.
 */
export function statusRecord(
  statusTopic: string,
  s: {
    documentId: string;
    eventId: string;
    state: DocumentState;
    stage: string;
    detail?: string | null;
    history?: StatusEntry[];
    at?: number;
    /** Which failure of the record this status reports (1 = the first), for a failure's status */
    attempt?: number;
    /** The input record's headers: the usage headers among them (pharmacy, kind) are copied onto the status record */
    carry?: Headers;
  },
): { record: OutputRecord; entry: StatusEntry } {
  const at = s.at ?? Date.now();
  const entry: StatusEntry = { state: s.state, stage: s.stage, at, detail: s.detail ?? null, attempt: s.attempt ?? null };
  const value: DocumentStatus = {
    documentId: s.documentId,
    eventId: s.eventId,
    state: s.state,
    stage: s.stage,
    at,
    detail: s.detail ?? null,
    history: [...(s.history ?? []), entry],
  };
  return {
    record: {
      topic: statusTopic,
      key: s.documentId,
      value,
      headers: { ...carriedUsageHeaders(s.carry), [H.eventId]: s.eventId, [H.documentId]: s.documentId },
    },
    entry,
  };
}

/**
 * A later status record of the same document over an earlier one: the later state wins, and the history keeps the
 * entries of both. A failure's entry (retrying, parked, dead-lettered) is written only in its own status record: the
 * retried input record still carries the history it had before, so the next stage's status leaves the retries out.
 */
export function mergeStatus(earlier: DocumentStatus | undefined, later: DocumentStatus): DocumentStatus {
  if (!earlier) return later;
  const byEntry = new Map<string, StatusEntry>();
  for (const h of [...earlier.history, ...later.history]) {
    byEntry.set(JSON.stringify([h.at, h.stage, h.state, h.detail, h.attempt]), h);
  }
  return { ...later, history: [...byEntry.values()].sort((a, b) => a.at - b.at) };
}

/**
 * The current status of documents, read from `documents.status`: the last record of each key gives the state, and
 * the history gathers the entries of every record of the key still in the topic (compaction leaves only the last one
 * in the end, so retries older than the log cleaner's last pass may be gone).
 */
export async function readStatuses(kafka: Kafka, codec: RegistryCodec, statusTopic: string): Promise<Map<string, DocumentStatus>> {
  const latest = new Map<string, DocumentStatus>();
  // One key lives on one partition, in the order its records were written.
  for (const r of await readTopicToEnd(kafka, statusTopic)) {
    if (!r.message.value) continue;
    const s = await codec.decode<DocumentStatus>(statusTopic, r.message.value);
    latest.set(s.documentId, mergeStatus(latest.get(s.documentId), s));
  }
  return latest;
}

/** A document's status, by document id or by event id. */
export function findStatus(statuses: Map<string, DocumentStatus>, id: string): DocumentStatus | undefined {
  return statuses.get(id) ?? [...statuses.values()].find((s) => s.eventId === id);
}

/** The shortest prefix of an id that {@link matchStatus} looks up: 8 characters, the first group of a UUID. */
export const MIN_ID_PREFIX = 8;

/** An id as an operator may paste it: surrounding blanks and a trailing ellipsis (`c711d69a…`) left out. */
export function normaliseId(id: string): string {
  return id.trim().replace(/(…|\.\.\.)$/, '');
}

export type StatusMatch =
  | { kind: 'found'; status: DocumentStatus }
  | { kind: 'ambiguous'; candidates: DocumentStatus[] }
  | { kind: 'too-short' }
  | { kind: 'not-found' };

/**
 * A document's status by its document id (`2.25.…`) or event id, whole or by a prefix of at least
 * {@link MIN_ID_PREFIX} characters. A whole id wins over prefixes; a prefix of several documents' ids is ambiguous.
 */
export function matchStatus(statuses: Map<string, DocumentStatus>, query: string): StatusMatch {
  const id = normaliseId(query);
  const exact = id ? findStatus(statuses, id) : undefined;
  if (exact) return { kind: 'found', status: exact };
  if (id.length < MIN_ID_PREFIX) return { kind: 'too-short' };
  const candidates = [...statuses.values()].filter((s) => s.documentId.startsWith(id) || s.eventId.startsWith(id));
  if (candidates.length === 0) return { kind: 'not-found' };
  if (candidates.length > 1) return { kind: 'ambiguous', candidates: candidates.sort((a, b) => a.documentId.localeCompare(b.documentId)) };
  return { kind: 'found', status: candidates[0] as DocumentStatus };
}

/**
 * The status of a record that failed in `stage`: dead-lettered, or waiting in the retry tiers (`retrying`, or
 * `waiting-for-certificate` when the stage says the pharmacy's certificate is the cause), with the error code and the
 * attempt (the stage's count of this record's failures, 1 for the first). The ids
 * come from the decoded record when there is one, else from its headers; without ids there is no status to write.
 */
export function failureStatus(
  statusTopic: string,
  stage: string,
  f: Failure<unknown>,
  known: { documentId?: string; eventId?: string; history?: StatusEntry[]; carry?: Headers } = {},
  waitingState: 'retrying' | 'waiting-for-certificate' = 'retrying',
): OutputRecord[] {
  const documentId = known.documentId ?? f.record.headers[H.documentId];
  const eventId = known.eventId ?? f.record.headers[H.eventId];
  if (!documentId || !eventId) return [];
  const state = f.deadLettered ? 'dead-lettered' : waitingState;
  return [
    statusRecord(statusTopic, {
      documentId,
      eventId,
      stage,
      state,
      detail: f.error.code,
      attempt: f.attempt,
      history: known.history,
      carry: known.carry ?? f.record.headers,
    }).record,
  ];
}
