import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PermanentError, TransientError } from './errors';
import { routeFailure, type FailedRecord } from './failure-routing';
import { H } from './headers';
import { parseTiers } from './topics';

const tiers = parseTiers('5s,1m,10m');
const now = 1_750_000_000_000;
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const value = Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]);

function failed(over: Partial<FailedRecord> = {}): FailedRecord {
  return {
    topic: 'invoices',
    partition: 3,
    offset: '42',
    key,
    value,
    headers: { [H.eventId]: 'e-1', [H.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    error: new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable'),
    tiers,
    now,
    ...over,
  };
}

describe('routeFailure', () => {
  it('a first transient failure goes to the first tier, attempt 1, due after its delay, with every header', () => {
    const route = routeFailure(failed());
    expect(route).toMatchObject({ destination: 'invoices.retry.5s', deadLettered: false, attempt: 1, dueAt: now + 5_000 });
    expect(route.error).toEqual({ code: 'REGISTRY_UNAVAILABLE', errorClass: 'transient', message: 'schema registry unavailable' });
    expect(route.record).toEqual({
      topic: 'invoices.retry.5s',
      key,
      value,
      headers: {
        'event-id': 'e-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        attempt: '1',
        'first-failure-at': String(now),
        'last-failure-at': String(now),
        'error-code': 'REGISTRY_UNAVAILABLE',
        'error-class': 'transient',
        'error-message': 'schema registry unavailable',
        'origin-topic': 'invoices',
        'origin-partition': '3',
        'origin-offset': '42',
        'due-at': String(now + 5_000),
      },
    });
    // The header order is what the stage always wrote (kafkajs sends them in this order).
    expect(Object.keys(route.record.headers)).toEqual([
      'event-id',
      'traceparent',
      'attempt',
      'first-failure-at',
      'last-failure-at',
      'error-code',
      'error-class',
      'error-message',
      'origin-topic',
      'origin-partition',
      'origin-offset',
      'due-at',
    ]);
  });

  it('a later attempt goes to the next tier and keeps the first failure time', () => {
    const first = routeFailure(failed());
    const later = now + 6_000;
    const second = routeFailure(failed({ headers: first.record.headers, now: later }));
    expect(second).toMatchObject({ destination: 'invoices.retry.1m', attempt: 2, dueAt: later + 60_000 });
    expect(second.record.headers).toMatchObject({
      attempt: '2',
      'first-failure-at': String(now),
      'last-failure-at': String(later),
      'due-at': String(later + 60_000),
    });
  });

  it('past the last tier the record is dead-lettered, without due-at', () => {
    const headers = { [H.attempt]: '3', [H.firstFailureAt]: String(now - 700_000), [H.dueAt]: String(now - 1) };
    const route = routeFailure(failed({ headers }));
    expect(route).toMatchObject({ destination: 'invoices.dlq', deadLettered: true, attempt: 4, dueAt: undefined });
    expect(route.record.topic).toBe('invoices.dlq');
    expect(route.record.headers).not.toHaveProperty('due-at');
    expect(route.record.headers['first-failure-at']).toBe(String(now - 700_000));
  });

  it('a permanent error is dead-lettered at once', () => {
    const route = routeFailure(failed({ error: new PermanentError('NOT_AVRO', 'value is not in the Confluent Avro wire format') }));
    expect(route).toMatchObject({ destination: 'invoices.dlq', deadLettered: true, attempt: 1, dueAt: undefined });
    expect(route.record.headers).toMatchObject({ 'error-code': 'NOT_AVRO', 'error-class': 'permanent', attempt: '1' });
    expect(route.record.headers).not.toHaveProperty('due-at');
  });

  it('with no tiers a transient error is dead-lettered at once', () => {
    expect(routeFailure(failed({ tiers: [] }))).toMatchObject({ destination: 'invoices.dlq', deadLettered: true });
  });

  it('a Node system error thrown by a handler (a real ENOENT) goes through the retry tiers', () => {
    let thrown: unknown;
    try {
      readFileSync(join(tmpdir(), `passerelle-missing-${process.pid}`, '750100208.p12'));
    } catch (err) {
      thrown = err;
    }
    const route = routeFailure(failed({ error: thrown }));
    expect(route).toMatchObject({ destination: 'invoices.retry.5s', deadLettered: false, attempt: 1 });
    expect(route.record.headers).toMatchObject({
      'error-code': 'UNEXPECTED',
      'error-class': 'transient',
      'error-message': 'unexpected Error (ENOENT)',
    });
    const eacces = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(routeFailure(failed({ error: eacces })).destination).toBe('invoices.retry.5s');
  });

  it('the error message is cut to 500 characters', () => {
    const route = routeFailure(failed({ error: new PermanentError('OUTPUT_INVALID', `value does not match at: ${'x.'.repeat(400)}`) }));
    expect(route.record.headers['error-message']).toHaveLength(500);
  });

  it('the origin headers name where the record was read; a tombstone is kept as an empty value', () => {
    const route = routeFailure(failed({ topic: 'orders.v1', partition: 0, offset: '9007199254740993', value: null, key: null }));
    expect(route.record).toMatchObject({ topic: 'orders.v1.retry.5s', key: null, value: Buffer.alloc(0) });
    expect(route.record.headers).toMatchObject({
      'origin-topic': 'orders.v1',
      'origin-partition': '0',
      'origin-offset': '9007199254740993',
    });
  });

  it('is pure: the record read keeps its headers', () => {
    const input = failed();
    const before = { ...input.headers };
    routeFailure(input);
    expect(input.headers).toEqual(before);
  });
});
