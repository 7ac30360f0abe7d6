import { failureStatus, recipientRoute, statusRecord, type TopicNames } from '@passerelle/pipeline';
import { H, type Failure, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import type { DmpSubmission, MssMessage, SignedDocument } from '@passerelle/schemas';
import { buildDmpSubmission, buildMssMessage, DocumentMessages, xdsTime, type MessageSettings } from './messages';
import { explainRoutes, routeFactsOf, type RoutingConfig } from './routing';

export interface RouterConfig {
  topics: TopicNames;
  routing: RoutingConfig;
  settings: MessageSettings;
  now?: () => number;
}

/**
 * A signed document becomes one message per destination (DESIGN §4): a DMP submission and/or MSSanté messages (one
 * for the patient, one for the professionals), all written in the same transaction as the input's offset. The
 * status says which routes were taken (`dmp`, and each MSSanté recipient: `mss:patient`, `mss:professional-1`…) and,
 * for those the configuration allows but the rules withheld, why.
 */
export function routerHandler(cfg: RouterConfig) {
  const now = cfg.now ?? Date.now;
  return async (record: InputRecord<SignedDocument>): Promise<OutputRecord[]> => {
    const doc = record.value;
    const documentId = doc.metadata.uniqueId;
    const decision = explainRoutes(routeFactsOf(doc), cfg.routing);
    // The submission time is the signature's, not the clock's: reprocessing rebuilds the same bytes.
    const signedAt = [...doc.history].reverse().find((h) => h.state === 'signed')?.at ?? doc.occurredAt;
    const context = { ...cfg.settings, submissionTime: xdsTime(signedAt) };
    const base = { eventId: doc.eventId, occurredAt: doc.occurredAt, documentId };
    const headers = { ...record.headers, [H.documentId]: documentId, [H.eventId]: doc.eventId };
    // Each MSSanté recipient is a route of its own on the status trail (by rank, never by address).
    const taken = decision.routes.flatMap((route) =>
      route.kind === 'dmp' ? ['dmp'] : route.to.map((_, i) => recipientRoute(route.audience, i)),
    );
    const withheld = decision.withheld.map((w) => `${w.destination}:${w.reason}`);
    const detail = [taken.length ? taken.join(',') : 'no-route', ...(withheld.length ? [`withheld ${withheld.join(',')}`] : [])].join('; ');
    const status = statusRecord(cfg.topics.status, {
      documentId,
      eventId: doc.eventId,
      state: 'routed',
      stage: 'router',
      detail,
      history: doc.history,
      at: now(),
      carry: record.headers,
    });
    // The gateways write the next statuses: the submission carries the history so far.
    const history = [...doc.history, status.entry];
    const outputs: OutputRecord[] = [];
    // What the routes share (the document checked, the submission set, the archive's files) is made once, here.
    const input = {
      metadata: doc.metadata,
      documentXml: doc.documentXml,
      signatureXml: doc.signatureXml,
      submissionSetUniqueId: doc.submissionSetUniqueId,
      context,
    };
    const shared = decision.routes.length > 0 ? new DocumentMessages(input) : undefined;
    for (const route of decision.routes) {
      if (route.kind === 'dmp') {
        const submission = buildDmpSubmission(input, shared);
        const value: DmpSubmission = { ...base, ...submission, history };
        outputs.push({ topic: cfg.topics.dmp, key: record.key, value, headers });
      } else {
        const message = await buildMssMessage(
          { ...input, route, from: doc.routing.pharmacyMssanteAddress, pharmacyName: doc.routing.pharmacyName },
          shared,
        );
        const value: MssMessage = { ...base, ...message, authorFiness: doc.metadata.authorFiness, history };
        outputs.push({ topic: cfg.topics.mss, key: record.key, value, headers });
      }
    }
    return [...outputs, status.record];
  };
}

export function routerFailureStatus(cfg: Pick<RouterConfig, 'topics'>) {
  return (f: Failure<SignedDocument>): OutputRecord[] => {
    const doc = f.record.value;
    return failureStatus(cfg.topics.status, 'router', f, {
      documentId: doc?.metadata.uniqueId,
      eventId: doc?.eventId,
      history: doc?.history,
    });
  };
}
