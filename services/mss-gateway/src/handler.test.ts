import { Breaker, H, type Failure, type InputRecord } from '@passerelle/kafka-runtime';
import { MssError, messageIdFor, type RecipientOutcome } from '@passerelle/mss';
import { routeProgress, topicNames } from '@passerelle/pipeline';
import type { DocumentStatus, MssMessage, StatusEntry } from '@passerelle/schemas';
import { CertificateError } from '@passerelle/signature';
import { DeliveryMemory, mssGatewayFailureStatus, mssGatewayHandler } from './handler';

const topics = topicNames('');
const FROM = 'officine@pharmacie.mssante.fr';
const PATIENT = '279035121518989@patient.mssante.fr';
const DOCTORS = ['dr.a@medecin.mssante.fr', 'dr.b@medecin.mssante.fr'];
const routed: StatusEntry = {
  state: 'routed',
  stage: 'router',
  at: 10,
  detail: 'dmp,mss:patient,mss:professional-1,mss:professional-2',
  attempt: null,
};
const message = (audience: 'patient' | 'professionals'): MssMessage =>
  ({
    eventId: 'e-1',
    documentId: '2.25.1',
    occurredAt: 1,
    audience,
    from: FROM,
    to: audience === 'patient' ? [PATIENT] : DOCTORS,
    authorFiness: '750100208',
    history: [routed],
  }) as unknown as MssMessage;
const record = (value: MssMessage): InputRecord<MssMessage> => ({
  topic: topics.mss,
  partition: 0,
  offset: '3',
  key: Buffer.from('k'),
  headers: { [H.documentId]: '2.25.1', [H.eventId]: 'e-1' },
  value,
  raw: {} as never,
});
const id = (to: string) => messageIdFor('2.25.1', to, FROM);
const ok = (to: string, queueId = `Q-${to.slice(0, 4)}`): RecipientOutcome => ({
  recipient: to,
  messageId: id(to),
  outcome: 'delivered',
  smtpCode: 250,
  queueId,
});
const ko = (to: string, code: 'MSS_SMTP_TRANSIENT' | 'MSS_SMTP_REJECTED' | 'MSS_UNAVAILABLE', smtpCode?: number): RecipientOutcome => ({
  recipient: to,
  messageId: id(to),
  outcome: code === 'MSS_SMTP_REJECTED' ? 'permanent' : 'transient',
  error: new MssError(code, `${code} at RCPT TO`, smtpCode ? { smtpCode, command: 'RCPT TO' } : {}),
});
const statusOf = (out: unknown) => (out as { value: DocumentStatus }[])[0]?.value as DocumentStatus;

describe('mssGatewayHandler', () => {
  it('writes `delivered` for each recipient as its own route, with the SMTP code and queue id, never an address', async () => {
    const handle = mssGatewayHandler({ topics, breaker: new Breaker(), deliver: async (m) => m.to.map((to) => ok(to)), now: () => 20 });
    const status = statusOf(await handle(record(message('professionals'))));
    expect(status).toMatchObject({ state: 'delivered', stage: 'mss-gateway', detail: 'mss:professional-2: 250 Q-dr.b' });
    expect(status.history.map((h) => [h.state, h.detail])).toEqual([
      ['routed', routed.detail],
      ['delivered', 'mss:professional-1: 250 Q-dr.a'],
      ['delivered', 'mss:professional-2: 250 Q-dr.b'],
    ]);
    const patient = statusOf(await handle(record(message('patient'))));
    expect(patient.detail).toBe('mss:patient: 250 Q-2790');
    expect(JSON.stringify(patient)).not.toContain('279035121518989');
    expect(JSON.stringify([status, patient])).not.toMatch(/dr\.[ab]@/);
    // The patient's status carries the professionals' entries: the last record of the document tells every route.
    expect(patient.history.map((h) => h.detail)).toEqual([
      routed.detail,
      'mss:professional-1: 250 Q-dr.a',
      'mss:professional-2: 250 Q-dr.b',
      'mss:patient: 250 Q-2790',
    ]);
    expect(routeProgress(patient)).toEqual([
      { route: 'dmp', state: 'sent', detail: null, delivered: true },
      { route: 'mss:patient', state: 'delivered', detail: '250 Q-2790', delivered: true },
      { route: 'mss:professional-1', state: 'delivered', detail: '250 Q-dr.a', delivered: true },
      { route: 'mss:professional-2', state: 'delivered', detail: '250 Q-dr.b', delivered: true },
    ]);
  });

  it('a 4xx for one recipient: that route retries, the other is delivered, and the retry sends only to the first', async () => {
    const calls: (readonly string[] | undefined)[] = [];
    let attempt = 0;
    const memory = new DeliveryMemory();
    const handle = mssGatewayHandler({
      topics,
      breaker: new Breaker(),
      memory,
      deliver: async (m, recipients) => {
        calls.push(recipients);
        attempt += 1;
        return attempt === 1
          ? [ok(DOCTORS[0] as string), ko(DOCTORS[1] as string, 'MSS_SMTP_TRANSIENT', 451)]
          : [ok(DOCTORS[1] as string, 'Q2')];
      },
    });
    const failed = await handle(record(message('professionals'))).catch((e: unknown) => e);
    expect(failed).toMatchObject({
      code: 'MSS_SMTP_TRANSIENT',
      errorClass: 'transient',
      message: expect.stringMatching(/^smtp 451: /) as string,
    });
    const retrying = statusOf(
      mssGatewayFailureStatus({ topics, memory })({
        record: record(message('professionals')),
        error: { code: 'MSS_SMTP_TRANSIENT', errorClass: 'transient', message: 'smtp 451: x' },
        destination: `${topics.mss}.retry.5s`,
        deadLettered: false,
        attempt: 1,
      }),
    );
    expect(retrying.history.map((h) => [h.state, h.detail])).toEqual([
      ['routed', routed.detail],
      ['delivered', 'mss:professional-1: 250 Q-dr.a'],
      ['retrying', 'mss:professional-2: MSS_SMTP_TRANSIENT 451'],
    ]);
    expect(routeProgress(retrying).map((r) => [r.route, r.state])).toEqual([
      ['dmp', 'sent'],
      ['mss:patient', 'sent'],
      ['mss:professional-1', 'delivered'],
      ['mss:professional-2', 'waiting'],
    ]);
    const status = statusOf(await handle(record(message('professionals'))));
    expect(calls).toEqual([undefined, [DOCTORS[1]]]);
    expect(status.history.slice(1).map((h) => h.detail)).toEqual(['mss:professional-1: 250 Q-dr.a', 'mss:professional-2: 250 Q2']);
  });

  it('a 5xx is permanent with its SMTP code (the runtime dead-letters it)', async () => {
    const handle = mssGatewayHandler({ topics, breaker: new Breaker(), deliver: async () => [ko(PATIENT, 'MSS_SMTP_REJECTED', 550)] });
    await expect(handle(record(message('patient')))).rejects.toMatchObject({ code: 'MSS_SMTP_REJECTED', errorClass: 'permanent' });
  });

  it('refusals before sending (not qualified, certificate) are thrown as they are and do not count for the breaker', async () => {
    const breaker = new Breaker({ threshold: 1 });
    const notQualified = new MssError('MSS_PATIENT_NOT_QUALIFIED', 'no qualified INS');
    const handle = mssGatewayHandler({
      topics,
      breaker,
      deliver: async () => {
        throw notQualified;
      },
    });
    await expect(handle(record(message('patient')))).rejects.toBe(notQualified);
    expect(breaker.current).toBe('closed');
  });

  it('an unreachable operator opens the breaker: the partition waits and nothing is sent until the probe', async () => {
    let now = 5_000;
    const breaker = new Breaker({ threshold: 2, openMs: 1_000, now: () => now });
    let sent = 0;
    let up = false;
    const handle = mssGatewayHandler({
      topics,
      breaker,
      deliver: async (m) => {
        sent += 1;
        return m.to.map((to) => (up ? ok(to) : ko(to, 'MSS_UNAVAILABLE')));
      },
    });
    await expect(handle(record(message('patient')))).rejects.toMatchObject({ code: 'MSS_UNAVAILABLE' });
    await expect(handle(record(message('patient')))).resolves.toEqual({ deferUntil: 6_000 });
    await expect(handle(record(message('patient')))).resolves.toEqual({ deferUntil: 6_000 });
    expect(sent).toBe(2);
    now = 6_000;
    up = true;
    expect(statusOf(await handle(record(message('patient')))).state).toBe('delivered');
    expect(breaker.current).toBe('closed');
  });

  it('a record whose recipients were all delivered before is not sent again', async () => {
    const memory = new DeliveryMemory();
    memory.rememberDelivery(id(PATIENT), '250 Q0');
    let sent = 0;
    const handle = mssGatewayHandler({
      topics,
      breaker: new Breaker(),
      memory,
      deliver: async () => {
        sent += 1;
        return [];
      },
    });
    expect(statusOf(await handle(record(message('patient')))).detail).toBe('mss:patient: 250 Q0');
    expect(sent).toBe(0);
  });
});

describe('mssGatewayFailureStatus', () => {
  const failure = (code: string, msg: string, deadLettered = false): Failure<MssMessage> => ({
    record: record(message('professionals')),
    error: { code, errorClass: deadLettered ? 'permanent' : 'transient', message: msg },
    destination: deadLettered ? `${topics.mss}.dlq` : `${topics.mss}.retry.5s`,
    deadLettered,
    attempt: 1,
  });

  it('names each route and the code, with the SMTP code when the server answered; CERT_* waits for a certificate', () => {
    const status = mssGatewayFailureStatus({ topics });
    const rejected = status(failure('MSS_SMTP_REJECTED', 'smtp 550: rejected', true))[0]?.value as DocumentStatus;
    expect(rejected).toMatchObject({ state: 'dead-lettered', stage: 'mss-gateway', detail: 'mss:professional-2: MSS_SMTP_REJECTED 550' });
    // Refused without the handler's word on each recipient: every recipient of the record failed alike.
    expect(rejected.history.slice(1).map((h) => [h.state, h.detail, h.attempt])).toEqual([
      ['dead-lettered', 'mss:professional-1: MSS_SMTP_REJECTED 550', 1],
      ['dead-lettered', 'mss:professional-2: MSS_SMTP_REJECTED 550', 1],
    ]);
    expect(
      routeProgress(rejected)
        .filter((r) => r.route.startsWith('mss:professional'))
        .map((r) => r.state),
    ).toEqual(['failed', 'failed']);
    expect(status(failure('MSS_SMTP_TRANSIENT', 'smtp 451: deferred'))[0]?.value).toMatchObject({
      state: 'retrying',
      detail: 'mss:professional-2: MSS_SMTP_TRANSIENT 451',
    });
    const cert = new CertificateError('CERT_EXPIRED', '750100208', 'expired');
    expect(status(failure(cert.code, cert.message))[0]?.value).toMatchObject({
      state: 'waiting-for-certificate',
      detail: 'mss:professional-2: CERT_EXPIRED',
    });
    expect(status(failure('CERT_REFUSED_BY_SERVER', 'refused'))[0]?.value).toMatchObject({ state: 'waiting-for-certificate' });
  });
});
