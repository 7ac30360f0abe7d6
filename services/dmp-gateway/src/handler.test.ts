import { DmpDeliveryError, type DeliveryResult } from '@passerelle/dmp';
import { H, type Failure, type InputRecord } from '@passerelle/kafka-runtime';
import { topicNames } from '@passerelle/pipeline';
import type { DmpSubmission, DocumentStatus, StatusEntry } from '@passerelle/schemas';
import { Breaker } from '@passerelle/kafka-runtime';
import { dmpGatewayFailureStatus, dmpGatewayHandler } from './handler';

const topics = topicNames('');
const routed: StatusEntry = { state: 'routed', stage: 'router', at: 10, detail: 'dmp', attempt: null };
const submission = { eventId: 'e-1', documentId: '2.25.1', occurredAt: 1, history: [routed] } as unknown as DmpSubmission;
const record: InputRecord<DmpSubmission> = {
  topic: topics.dmp,
  partition: 0,
  offset: '3',
  key: Buffer.from('k'),
  headers: { [H.documentId]: '2.25.1' },
  value: submission,
  raw: {} as never,
};
const ok: DeliveryResult = {
  outcome: 'delivered',
  answer: 'RegistryResponse Success',
  messageId: 'urn:uuid:x',
  submissionSetUniqueId: '2.25.9',
};
const down = () => new DmpDeliveryError('DMP_TIMEOUT', 'transient', 'no answer within 5000 ms');

describe('dmpGatewayHandler', () => {
  it("writes `delivered` for the dmp route with the DMP's answer, after the history the submission carries", async () => {
    const handle = dmpGatewayHandler({ topics, breaker: new Breaker(), deliver: async () => ok, now: () => 20 });
    const out = await handle(record);
    expect(Array.isArray(out)).toBe(true);
    const [status] = out as { topic: string; key: string; value: DocumentStatus }[];
    expect(status?.topic).toBe(topics.status);
    expect(status?.key).toBe('2.25.1');
    expect(status?.value).toMatchObject({ state: 'delivered', stage: 'dmp-gateway', detail: 'dmp: RegistryResponse Success' });
    expect(status?.value.history.map((h) => h.state)).toEqual(['routed', 'delivered']);
  });

  it("throws a refusal as it is (permanent, the DMP's code): the runtime dead-letters it", async () => {
    const refusal = new DmpDeliveryError('XDSUnknownPatientId', 'permanent', 'unknown patient', 'XDSUnknownPatientId');
    const handle = dmpGatewayHandler({
      topics,
      breaker: new Breaker(),
      deliver: async () => {
        throw refusal;
      },
    });
    await expect(handle(record)).rejects.toBe(refusal);
  });

  it('sends isolated transport failures through the retry tiers, then opens the breaker: the partition waits instead', async () => {
    const breaker = new Breaker({ threshold: 2, openMs: 1_000, now: () => 5_000 });
    const handle = dmpGatewayHandler({
      topics,
      breaker,
      deliver: async () => {
        throw down();
      },
    });
    await expect(handle(record)).rejects.toMatchObject({ code: 'DMP_TIMEOUT' });
    await expect(handle(record)).resolves.toEqual({ deferUntil: 6_000 });
    // Open: not even sent.
    let sent = 0;
    const counting = dmpGatewayHandler({
      topics,
      breaker,
      deliver: async () => {
        sent += 1;
        return ok;
      },
    });
    await expect(counting(record)).resolves.toEqual({ deferUntil: 6_000 });
    expect(sent).toBe(0);
  });
});

describe('dmpGatewayFailureStatus', () => {
  const failure = (code: string, deadLettered = false): Failure<DmpSubmission> => ({
    record,
    error: { code, errorClass: deadLettered ? 'permanent' : 'transient', message: code },
    destination: deadLettered ? `${topics.dmp}.dlq` : `${topics.dmp}.retry.5s`,
    deadLettered,
    attempt: 1,
  });

  it("a certificate problem (AUTH_CLI or SIGN) waits for a certificate; a refusal is dead-lettered with the DMP's code", () => {
    expect(dmpGatewayFailureStatus({ topics })(failure('AUTH_CLI_EXPIRED'))[0]?.value).toMatchObject({
      state: 'waiting-for-certificate',
      detail: 'AUTH_CLI_EXPIRED',
    });
    expect(dmpGatewayFailureStatus({ topics })(failure('DMP_TIMEOUT'))[0]?.value).toMatchObject({
      state: 'retrying',
      stage: 'dmp-gateway',
    });
    const dead = dmpGatewayFailureStatus({ topics })(failure('XDSUnknownPatientId', true))[0]?.value as DocumentStatus;
    expect(dead).toMatchObject({ state: 'dead-lettered', detail: 'XDSUnknownPatientId' });
    expect(dead.history.map((h) => h.state)).toEqual(['routed', 'dead-lettered']);
  });
});
