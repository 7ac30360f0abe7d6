import { H } from '@passerelle/kafka-runtime';
import { topicNames } from '@passerelle/pipeline';
import type { KafkaMessage } from 'kafkajs';
import { deliveredRoute, observationOf } from './observe';

describe('the ledger name of a gateway delivered status', () => {
  it('is the route its detail starts with, a professional recipient standing for the professionals record', () => {
    expect(deliveredRoute('dmp: RegistryResponse Success')).toBe('dmp');
    expect(deliveredRoute('mss:patient: 250 Q-2790')).toBe('mss:patient');
    expect(deliveredRoute('mss:professional-2: 250 Q-dr.b')).toBe('mss:professionals');
  });

  it('tells a route record the retrier put back (with its attempt) from the one the router wrote', async () => {
    const t = topicNames('x.');
    const record = (headers: Record<string, string>) =>
      ({
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
        value: null,
      }) as unknown as KafkaMessage;
    const codec = {} as never; // not read for a DMP submission
    expect(await observationOf(codec, t, t.dmp, record({ [H.eventId]: 'e1' }))).toEqual({ eventId: 'e1', what: 'dmp' });
    expect(await observationOf(codec, t, t.dmp, record({ [H.eventId]: 'e1', [H.attempt]: '1' }))).toEqual({
      eventId: 'e1',
      what: 'dmp:attempt-1',
    });
  });
});
