import type { DeliveryResult } from '@passerelle/dmp';
import { H, type Breaker, type Defer, type Failure, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import { failureStatus, statusRecord, type TopicNames } from '@passerelle/pipeline';
import type { DmpSubmission } from '@passerelle/schemas';

/** The failures that say the DMP itself is unavailable (not the submission, not a certificate): they count for the breaker. */
export const DESTINATION_DOWN = new Set(['DMP_TIMEOUT', 'DMP_UNREACHABLE', 'DMP_TLS', 'DMP_HTTP_5XX', 'DMP_SOAP_FAULT']);

export interface DmpGatewayConfig {
  topics: TopicNames;
  deliver: (submission: DmpSubmission) => Promise<DeliveryResult>;
  breaker: Breaker;
  now?: () => number;
}

const codeOf = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;

/**
 * A DMP submission is delivered (ITI-41), and its document's status says so: `delivered` for the `dmp` route with the
 * DMP's answer (`dmp: RegistryResponse Success`; a re-send that the DMP already had counts as delivered). A refusal
 * is thrown with the DMP's code (permanent: dead-lettered); a certificate problem or an unavailable DMP is thrown as
 * transient (retry tiers). While the breaker is open the record is not sent: its partition waits (deferral).
 */
export function dmpGatewayHandler(cfg: DmpGatewayConfig) {
  const now = cfg.now ?? Date.now;
  return async (record: InputRecord<DmpSubmission>): Promise<OutputRecord[] | Defer> => {
    const admitted = cfg.breaker.admit();
    if (!admitted.send) return { deferUntil: admitted.until };
    const submission = record.value;
    let result: DeliveryResult;
    try {
      result = await cfg.deliver(submission);
    } catch (err) {
      const code = codeOf(err);
      if (code && DESTINATION_DOWN.has(code)) {
        // Already open (a failed probe), or opened by this failure: the record waits with its partition.
        if (cfg.breaker.failed(code)) return { deferUntil: cfg.breaker.retryAt };
      } else if (code && !code.startsWith('AUTH_CLI_') && !code.startsWith('CERT_')) {
        // The DMP answered (a refusal): it is up.
        cfg.breaker.succeeded();
      } else {
        // A certificate problem before sending: if this record was the probe, the next one probes.
        cfg.breaker.released();
      }
      throw err;
    }
    cfg.breaker.succeeded();
    const status = statusRecord(cfg.topics.status, {
      documentId: submission.documentId,
      eventId: submission.eventId,
      state: 'delivered',
      stage: 'dmp-gateway',
      detail: `dmp: ${result.answer}`,
      history: submission.history,
      at: now(),
      carry: record.headers,
    });
    return [status.record];
  };
}

/** The status of a submission that failed: waiting for a certificate (AUTH_CLI, SIGN), retrying, or dead-lettered. */
export function dmpGatewayFailureStatus(cfg: Pick<DmpGatewayConfig, 'topics'>) {
  return (f: Failure<DmpSubmission>): OutputRecord[] => {
    const s = f.record.value;
    const certificate = f.error.code.startsWith('AUTH_CLI_') || f.error.code.startsWith('CERT_');
    return failureStatus(
      cfg.topics.status,
      'dmp-gateway',
      f,
      { documentId: s?.documentId ?? f.record.headers[H.documentId], eventId: s?.eventId, history: s?.history },
      certificate ? 'waiting-for-certificate' : 'retrying',
    );
  };
}
