import type { DocumentStatus, StatusEntry } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from './codec';
import { readTopicToEnd } from './read-topic';
import { H } from './headers';
import type { Failure, OutputRecord } from './stage';

export type DocumentState =
  | 'composed' | 'signed' | 'routed' | 'parked' | 'retrying' | 'dead-lettered' | 'delivered' | 'replayed';

/**
 * A record for `documents.status` (compacted, keyed by document id): the document's new state and its whole history,
 * so that the last record of a key tells everything. The history travels inside the pipeline's records, stage to
 * stage; a failure whose record could not be decoded starts from what the headers tell.
 */
export function statusRecord(
  statusTopic: string,
  s: { documentId: string; eventId: string; state: DocumentState; stage: string; detail?: string | null; history?: StatusEntry[]; at?: number },
): { record: OutputRecord; entry: StatusEntry } {
  const at = s.at ?? Date.now();
  const entry: StatusEntry = { state: s.state, stage: s.stage, at, detail: s.detail ?? null };
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
    record: { topic: statusTopic, key: s.documentId, value, headers: { [H.eventId]: s.eventId, [H.documentId]: s.documentId } },
    entry,
  };
}

/**
 * The current status of documents, read from `documents.status` (the last record of each key wins, as compaction
 * would leave it).
 */
export async function readStatuses(kafka: Kafka, codec: RegistryCodec, statusTopic: string): Promise<Map<string, DocumentStatus>> {
  const latest = new Map<string, DocumentStatus>();
  // One key lives on one partition, in the order its records were written.
  for (const r of await readTopicToEnd(kafka, statusTopic)) {
    if (!r.message.value) continue;
    const s = await codec.decode<DocumentStatus>(statusTopic, r.message.value);
    latest.set(s.documentId, s);
  }
  return latest;
}

/** A document's status, by document id or by event id. */
export function findStatus(statuses: Map<string, DocumentStatus>, id: string): DocumentStatus | undefined {
  return statuses.get(id) ?? [...statuses.values()].find((s) => s.eventId === id);
}

/**
 * The status of a record that failed in `stage`: dead-lettered, or waiting in the retry tiers (`retrying`, or
 * `parked` when the stage says the cause is outside the pipeline, e.g. a certificate), with the error code. The ids
 * come from the decoded record when there is one, else from its headers; without ids there is no status to write.
 */
export function failureStatus(
  statusTopic: string,
  stage: string,
  f: Failure<unknown>,
  known: { documentId?: string; eventId?: string; history?: StatusEntry[] } = {},
  waitingState: 'retrying' | 'parked' = 'retrying',
): OutputRecord[] {
  const documentId = known.documentId ?? f.record.headers[H.documentId];
  const eventId = known.eventId ?? f.record.headers[H.eventId];
  if (!documentId || !eventId) return [];
  const state = f.deadLettered ? 'dead-lettered' : waitingState;
  return [statusRecord(statusTopic, { documentId, eventId, stage, state, detail: f.error.code, history: known.history }).record];
}
