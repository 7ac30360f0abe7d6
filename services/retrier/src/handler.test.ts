import { H, type InputRecord } from '@passerelle/kafka-runtime';
import { retrierHandler } from './handler';

const record = (headers: Record<string, string>): InputRecord<Buffer> => ({
  topic: 'documents.composed.retry.5s',
  partition: 0,
  offset: '7',
  key: Buffer.from('k'),
  headers,
  value: Buffer.from([0, 0, 0, 0, 1, 42]),
  raw: {} as InputRecord<Buffer>['raw'],
});

describe('retrier', () => {
  it('sends a due record back to its origin topic, bytes, key and headers kept, due time removed', () => {
    const out = retrierHandler(() => 2_000)(record({ [H.originTopic]: 'documents.composed', [H.dueAt]: '1000', [H.attempt]: '1' }));
    expect(out).toEqual([
      {
        topic: 'documents.composed',
        key: Buffer.from('k'),
        value: Buffer.from([0, 0, 0, 0, 1, 42]),
        headers: { [H.originTopic]: 'documents.composed', [H.attempt]: '1' },
      },
    ]);
  });

  it('makes the partition wait for a record not yet due', () => {
    expect(retrierHandler(() => 500)(record({ [H.originTopic]: 'documents.composed', [H.dueAt]: '1000' }))).toEqual({ deferUntil: 1000 });
  });

  it('refuses a record without retry headers (it cannot know where to go)', () => {
    expect(() => retrierHandler()(record({}))).toThrow(/origin-topic/);
  });
});
