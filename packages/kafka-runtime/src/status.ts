import type { DocumentStatus, StatusEntry } from '@passerelle/schemas';
import { H } from './headers';
import type { OutputRecord } from './stage';

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
