/**
 * The fault tests' scenario, shared by test/faults (one broker) and test/cluster (a 3-node cluster): generated events
 * on the test PKI's pharmacies, what each must become (delivered on the routes DESIGN §4 gives, parked, or
 * dead-lettered), and how the test publishes them.
 */
import { DEFAULT_ROUTING, explainRoutes, type RouteFacts } from '@passerelle/router';
import { type LgoEvent } from '@passerelle/schemas';
import { type Producer } from 'kafkajs';
import { generateEvents, Rng } from '../generators/events';
import { type AnyEvent, type Sent } from '../pipeline/harness';
import { type Expectation, type Route } from './ledger';

export const PHARMACIES = ['750100208', '130001234', '2A0004567'];

/** The routes DESIGN §4 gives an event (the router's rule function over facts built here from the event). */
export function expectedRoutes(lgo: LgoEvent): Route[] {
  const e = lgo.event;
  const kind =
    lgo.topic === 'lgo.vaccination.v1'
      ? 'vaccination-note'
      : lgo.topic === 'lgo.dispensation.v1'
        ? 'dispensation'
        : lgo.event.review.kind === 'BILAN_PARTAGE_MEDICATION'
          ? 'medication-review'
          : 'pharmaceutical-interview';
  const facts: RouteFacts = {
    kind,
    insMatricule: e.patient.ins.matricule,
    mssanteConsent: e.patient.mssanteConsent,
    dmpOpposition: e.patient.dmpOpposition,
    identityQualified: true,
    pharmacyDmpEnrolled: e.pharmacy.dmpEnrolled,
    pharmacyMssanteAddress: e.pharmacy.mssanteAddress,
    pharmacyName: e.pharmacy.name,
    recipients: e.recipients.map((r) => ({ mssanteAddress: r.mssanteAddress, role: r.role })),
    prescriberMssanteAddress:
      lgo.topic === 'lgo.dispensation.v1' ? (lgo.event.dispensation.prescription?.prescriber.mssanteAddress ?? null) : null,
    invisibleToPatient: e.confidentiality.invisibleToPatient,
  };
  return explainRoutes(facts, DEFAULT_ROUTING).routes.map((r): Route => (r.kind === 'dmp' ? 'dmp' : `mss:${r.audience}`));
}

/** Another valid-looking key (01–97) that is not the matricule's: INS_KEY_MISMATCH. */
export function breakKey(matricule: string): string {
  const key = Number(matricule.slice(13));
  return `${matricule.slice(0, 13)}${String((key % 97) + 1).padStart(2, '0')}`;
}

/** The test's events: generated ones on the test PKI's pharmacies, one in 20 not qualified, one in 20 with a bad key. */
export function scenario(n: number, seed: number): { events: AnyEvent[]; expected: Expectation[] } {
  const rng = new Rng(seed ^ 0x5eed);
  const events: AnyEvent[] = [];
  const expected: Expectation[] = [];
  generateEvents(n, seed).forEach((lgo, i) => {
    const e = lgo.event;
    e.pharmacy.finess = rng.pick(PHARMACIES);
    if (i % 20 === 7) {
      e.patient.identityStatus = 'PROVISOIRE';
      expected.push({ eventId: e.eventId, outcome: 'parked', routes: [] });
    } else if (i % 20 === 13) {
      e.patient.ins.matricule = breakKey(e.patient.ins.matricule);
      expected.push({ eventId: e.eventId, outcome: 'dead-lettered', routes: [], code: 'INS_KEY_MISMATCH' });
    } else {
      expected.push({ eventId: e.eventId, outcome: 'delivered', routes: expectedRoutes(lgo) });
    }
    events.push(e);
  });
  return { events, expected };
}

/** One publisher at a time: the broker restart waits for the batch in flight, and no batch is sent while it runs. */
export class Gate {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.tail.then(f, f);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Sends a batch once. The publisher is not under test: no manual re-send (an ambiguous failure re-sent would
 * publish inputs twice); the gate keeps sends away from the broker restart, and kafkajs retries within the
 * idempotent producer.
 */
export async function sendOnce(producer: Producer, records: Sent[]): Promise<void> {
  const byTopic = new Map<string, Sent[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  await producer.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([topic, rs]) => ({
      topic,
      messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    })),
  });
}
