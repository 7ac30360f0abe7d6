import type { DocumentStatus, StatusEntry } from '@passerelle/schemas';
import { UndeliveredDocuments } from './undelivered';

const DOC_A = '2.25.263458712949358120637741259046133717581';
const DOC_B = '2.25.263458712949358120637741259046133717999';
const DOC_C = '2.25.111122223333444455556666777788889999000';

const entry = (state: string, stage: string, at: number, detail: string | null = null): StatusEntry => ({
  state,
  stage,
  at,
  detail,
  attempt: null,
});
const status = (documentId: string, history: StatusEntry[]): DocumentStatus => {
  const last = history[history.length - 1] as StatusEntry;
  return {
    documentId,
    eventId: `event-${documentId.slice(-4)}`,
    state: last.state,
    stage: last.stage,
    at: last.at,
    detail: last.detail,
    history,
  };
};

describe('UndeliveredDocuments', () => {
  it('keeps a document until every route with a gateway is delivered, each gateway writing its own record', () => {
    const u = new UndeliveredDocuments();
    const routed = [
      entry('composed', 'composer', 1_000),
      entry('signed', 'signer', 1_100),
      entry('routed', 'router', 1_200, 'dmp,mss:professional-1'),
    ];
    u.apply(status(DOC_A, routed.slice(0, 1)));
    u.apply(status(DOC_A, routed.slice(0, 2)));
    u.apply(status(DOC_A, routed));
    expect(u.count).toBe(1);
    expect(u.oldestSince()).toBe(1_000);
    // The DMP delivered: the MSSanté route still waits.
    u.apply(status(DOC_A, [...routed, entry('delivered', 'dmp-gateway', 2_000, 'dmp: RegistryResponse Success')]));
    expect(u.count).toBe(1);
    // The mss-gateway's record carries only its own history (up to routed): merged with the DMP's, the document is done.
    u.apply(status(DOC_A, [...routed, entry('delivered', 'mss-gateway', 2_100, 'mss:professional-1: 250')]));
    expect(u.count).toBe(0);
    expect(u.oldestSince()).toBeUndefined();
  });

  it('counts retrying and waiting documents, not parked or dead-lettered ones (final: the dead letters have their alert)', () => {
    const u = new UndeliveredDocuments();
    u.apply(status(DOC_A, [entry('composed', 'composer', 5_000), entry('retrying', 'signer', 5_500, 'CERT_MISSING')]));
    u.apply(
      status(DOC_B, [
        entry('composed', 'composer', 3_000),
        entry('routed', 'router', 3_300, 'dmp'),
        entry('retrying', 'dmp-gateway', 4_000, 'DMP_UNAVAILABLE'),
      ]),
    );
    u.apply(status(DOC_C, [entry('parked', 'composer', 1_000, 'IDENTITY_NOT_QUALIFIED')]));
    expect(u.count).toBe(2);
    expect(u.oldestSince()).toBe(3_000);
    u.apply(
      status(DOC_B, [
        entry('composed', 'composer', 3_000),
        entry('routed', 'router', 3_300, 'dmp'),
        entry('dead-lettered', 'dmp-gateway', 9_000, 'DMP_REFUSED'),
      ]),
    );
    expect(u.count).toBe(1);
    expect(u.oldestSince()).toBe(5_000);
  });
});
