import type { Producer } from 'kafkajs';
import { SharedTransactions, type Contribution, type GroupMember } from './shared-transactions';

/** What a transaction of the fake producer was given, and how it ended. */
interface Txn {
  sent: { topic: string; values: string[] }[];
  offsets: { topic: string; partitions: { partition: number; offset: string }[] }[];
  member?: GroupMember;
  ended?: 'commit' | 'abort';
}

/** A transactional producer that records its transactions; `failNext` makes the next commit fail. */
function fakeProducer() {
  const txns: Txn[] = [];
  let open = 0;
  let maxOpen = 0;
  const state = { failNext: false, drops: 0 };
  const producer = {
    transaction: async () => {
      const t: Txn = { sent: [], offsets: [] };
      txns.push(t);
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      const end = (how: 'commit' | 'abort') => {
        t.ended = how;
        open -= 1;
      };
      return {
        sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
          for (const tm of topicMessages) t.sent.push({ topic: tm.topic, values: tm.messages.map((m) => String(m.value)) });
        },
        sendOffsets: async (o: { topics: Txn['offsets']; consumerGroupMetadata?: GroupMember }) => {
          t.offsets = o.topics;
          t.member = o.consumerGroupMetadata;
        },
        commit: async () => {
          await new Promise((r) => setTimeout(r, 5)); // the round trips: chunks arriving now wait for the next one
          if (state.failNext) {
            state.failNext = false;
            throw Object.assign(new Error('fenced'), { type: 'ILLEGAL_GENERATION' });
          }
          end('commit');
        },
        abort: async () => end('abort'),
      };
    },
  } as unknown as Producer;
  return { producer, txns, state, maxOpen: () => maxOpen };
}

const member: GroupMember = { generationId: 3, memberId: 'm-1' };
const chunk = (partition: number, offset: string, values: string[], m = member): Contribution => ({
  byTopic: new Map([['out', values.map((v) => ({ key: null, value: Buffer.from(v) }))]]),
  bytes: values.join('').length,
  records: values.length,
  topic: 'in',
  partition,
  offset,
  member: m,
});

function setup(maxBytes = 1_000_000) {
  const fake = fakeProducer();
  const committed: number[] = [];
  const shared = new SharedTransactions({
    groupId: 'g',
    producer: async () => fake.producer,
    drop: async () => {
      fake.state.drops += 1;
    },
    maxBytes,
    committed: (records) => committed.push(records),
  });
  return { shared, fake, committed };
}

describe('shared transactions (one transaction for the chunks of every partition in hand)', () => {
  it('waits for every chunk being handled, then commits them together with their offsets and the member', async () => {
    const { shared, fake, committed } = setup();
    const [a, b, c] = [shared.enter(), shared.enter(), shared.enter()];
    const done = [a.commit(chunk(0, '11', ['a1', 'a2'])), b.commit(chunk(1, '21', ['b1']))];
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.txns).toHaveLength(0); // c is still being handled
    done.push(c.commit(chunk(2, '31', ['c1', 'c2', 'c3'])));
    await Promise.all(done);
    expect(fake.txns).toEqual([
      {
        sent: [{ topic: 'out', values: ['a1', 'a2', 'b1', 'c1', 'c2', 'c3'] }],
        offsets: [
          {
            topic: 'in',
            partitions: [
              { partition: 0, offset: '11' },
              { partition: 1, offset: '21' },
              { partition: 2, offset: '31' },
            ],
          },
        ],
        member,
        ended: 'commit',
      },
    ]);
    expect(committed).toEqual([6]);
  });

  it('does not wait for a chunk that leaves without output', async () => {
    const { shared, fake } = setup();
    const [a, b] = [shared.enter(), shared.enter()];
    const done = a.commit(chunk(0, '5', ['a']));
    b.leave();
    await done;
    expect(fake.txns.map((t) => t.ended)).toEqual(['commit']);
  });

  it('has one transaction in flight at a time; what arrives meanwhile goes in the next, in order', async () => {
    const { shared, fake } = setup();
    const first = shared.enter().commit(chunk(0, '1', ['x1'])); // alone: starts at once
    const second = shared.enter().commit(chunk(0, '2', ['x2'])); // arrives during the first's commit
    const third = shared.enter().commit(chunk(1, '9', ['y1']));
    await Promise.all([first, second, third]);
    expect(fake.maxOpen()).toBe(1);
    expect(fake.txns.map((t) => t.sent[0]?.values)).toEqual([['x1'], ['x2', 'y1']]);
  });

  it('starts without the chunks still being handled once enough bytes wait', async () => {
    const { shared, fake } = setup(4);
    const slow = shared.enter(); // still being handled
    await shared.enter().commit(chunk(0, '1', ['abcd'])); // 4 bytes: enough
    expect(fake.txns).toHaveLength(1);
    slow.leave();
  });

  it('commits one generation per transaction', async () => {
    const { shared, fake } = setup();
    const [a, b] = [shared.enter(), shared.enter()];
    const later = { generationId: 4, memberId: 'm-1' };
    const done = [a.commit(chunk(0, '1', ['g3'])), b.commit(chunk(1, '1', ['g4'], later))];
    await Promise.all(done);
    expect(fake.txns.map((t) => [t.member?.generationId, t.sent[0]?.values])).toEqual([
      [3, ['g3']],
      [4, ['g4']],
    ]);
  });

  it('fails every chunk of a transaction that fails, aborts it and drops the producer; the next one goes on', async () => {
    const { shared, fake } = setup();
    fake.state.failNext = true;
    const [a, b] = [shared.enter(), shared.enter()];
    const results = await Promise.allSettled([a.commit(chunk(0, '1', ['a'])), b.commit(chunk(1, '1', ['b']))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ type: 'ILLEGAL_GENERATION' });
    expect(fake.txns.map((t) => t.ended)).toEqual(['abort']);
    expect(fake.state.drops).toBe(1);
    await shared.enter().commit(chunk(0, '1', ['a']));
    expect(fake.txns.map((t) => t.ended)).toEqual(['abort', 'commit']);
  });

  it('refuses a ticket used twice', async () => {
    const { shared } = setup();
    const t = shared.enter();
    await t.commit(chunk(0, '1', ['a']));
    await expect(t.commit(chunk(0, '2', ['b']))).rejects.toThrow('ticket already closed');
  });
});
