/**
 * The registry keeps its schemas (issue 14, item 2): a record written before a full `down`/`up` of the stack (Kafka
 * and the registry, kafkasql storage) still decodes after it, with a fresh codec that must ask the registry for the
 * schema by the id the record carries; the subject keeps its id.
 */
import { pipelineCodec, topicNames } from '@passerelle/pipeline';
import type { VaccinationEvent } from '@passerelle/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { brokers, encodeEvents, registryUrl, sample } from '../pipeline/harness';
import { readToEnd } from '../support/read-to-end';
import { clusterStack } from './cluster-stack';

describe('the registry after a full down/up', () => {
  it('decodes a record written before it', async () => {
    const topics = topicNames(`persist${Date.now().toString(36)}.`);
    const kafka = new Kafka({ clientId: 'persistence-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const event = sample<VaccinationEvent>('vaccination');
    const [sent] = await encodeEvents(pipelineCodec(registryUrl), topics, [event]);
    if (!sent) throw new Error('nothing encoded');
    const schemaId = sent.value.readInt32BE(1);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: sent.topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: sent.topic, acks: -1, messages: [{ key: sent.key, value: sent.value }] });
    await producer.disconnect();

    const down = await clusterStack('down');
    expect(down).toMatch(/registry stopped/);
    const up = await clusterStack('up');
    expect(up).toMatch(/registry ready/);

    const { records } = await readToEnd(kafka, [sent.topic], { timeoutMs: 120_000 });
    expect(records).toHaveLength(1);
    const value = records[0]?.message.value;
    if (!value) throw new Error('no value');
    expect(value.readInt32BE(1)).toBe(schemaId);
    // A new codec: no schema in cache, it asks the registry that was just started again.
    const decoded = await pipelineCodec(registryUrl).decode<VaccinationEvent>(sent.topic, value);
    expect(decoded.eventId).toBe(event.eventId);
    expect(decoded).toEqual(event);
  }, 600_000);
});
