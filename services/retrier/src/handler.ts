import { H, PermanentError, type Defer, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';

/**
 * A retry record goes back to the topic it failed on once its due time has come, byte for byte with its headers
 * (the attempt count travels with it, so the stage that fails it again sends it one tier further, or to the dead
 * letters past the last tier). A record not yet due makes its partition wait: records of one tier are appended in
 * due order, so the head is always the next one due.
 */
export function retrierHandler(now: () => number = Date.now) {
  return (record: InputRecord<Buffer>): OutputRecord[] | Defer => {
    const origin = record.headers[H.originTopic];
    const due = Number(record.headers[H.dueAt]);
    if (!origin || !Number.isFinite(due)) {
      throw new PermanentError('RETRY_HEADERS_MISSING', `retry record lacks ${H.originTopic} or ${H.dueAt}`);
    }
    if (due > now()) return { deferUntil: due };
    const headers = { ...record.headers };
    delete headers[H.dueAt];
    return [{ topic: origin, key: record.key, value: record.value, headers }];
  };
}
