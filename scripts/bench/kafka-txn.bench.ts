/**
 * What one stage transaction costs the Kafka client: requests (round trips) per transaction by API, wall time and the
 * client's CPU, for transactions shaped like the runtime's (sendBatch of `--records` 25 KB values, sendOffsets, commit).
 *   KAFKA_BROKERS=127.0.0.1:19092 npx tsx scripts/bench/kafka-txn.bench.ts [--transactions 150] [--records 10]
 * Uses topics of its own (deleted at the end); the broker's CPU is not counted.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';

const USAGE = 'usage: KAFKA_BROKERS=host:port npx tsx scripts/bench/kafka-txn.bench.ts [--transactions 150] [--records 10]';
const { values } = parseArgs({
  options: {
    transactions: { type: 'string', default: '150' },
    records: { type: 'string', default: '10' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const transactions = Number(values.transactions);
const records = Number(values.records);
const prefix = `bench-txn-${process.pid}-`;

async function main(): Promise<void> {
  const kafka = new Kafka({
    clientId: 'txn-bench',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const [output, input] = [`${prefix}out`, `${prefix}in`];
  await admin.createTopics({
    topics: [
      { topic: output, numPartitions: 3 },
      { topic: input, numPartitions: 1 },
    ],
  });
  const producer = kafka.producer({ transactionalId: `${prefix}tx`, idempotent: true, maxInFlightRequests: 1 });
  const counts = new Map<string, number>();
  producer.on(producer.events.REQUEST, (e) => counts.set(e.payload.apiName, (counts.get(e.payload.apiName) ?? 0) + 1));
  await producer.connect();
  const value = Buffer.alloc(25 * 1024, 120);
  const run = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      const txn = await producer.transaction();
      await txn.sendBatch({
        acks: -1,
        topicMessages: [{ topic: output, messages: Array.from({ length: records }, (_, k) => ({ key: `k${k}`, value })) }],
      });
      await txn.sendOffsets({
        consumerGroupId: `${prefix}g`,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: String(i + 1) }] }],
      });
      await txn.commit();
    }
  };
  try {
    await run(20); // connections, producer id, metadata
    counts.clear();
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await run(transactions);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const perApi = Object.fromEntries([...counts].map(([api, n]) => [api, Number((n / transactions).toFixed(2))]));
    const requests = [...counts.values()].reduce((a, b) => a + b, 0) / transactions;
    console.log(
      JSON.stringify({
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
        transactions,
        recordsPerTransaction: records,
        requestsPerTransaction: Number(requests.toFixed(2)),
        perApi,
        wallMsPerTransaction: Number((wallMs / transactions).toFixed(2)),
        clientCpuMsPerTransaction: Number((cpuMs / transactions).toFixed(3)),
        clientCpuMsPerRecord: Number((cpuMs / transactions / records).toFixed(3)),
      }),
    );
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [output, input] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`kafka-txn bench failed: ${(error as Error).message}`);
  process.exit(1);
});
