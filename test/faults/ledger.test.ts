import { account, PARKED, type Expectation, type Observation } from './ledger';

const deliver = (eventId: string, routes: Expectation['routes']): Expectation => ({ eventId, outcome: 'delivered', routes });
const obs = (eventId: string, ...what: string[]): Observation[] => what.map((w) => ({ eventId, what: w }));

describe('exactly-once ledger', () => {
  const expected: Expectation[] = [
    deliver('a', ['dmp', 'mss:patient']),
    deliver('b', []),
    { eventId: 'c', outcome: 'parked', routes: [] },
    { eventId: 'd', outcome: 'dead-lettered', routes: [], code: 'INS_KEY_MISMATCH' },
  ];
  const clean: Observation[] = [
    ...obs('a', 'input', 'composed', 'signed', 'dmp', 'mss:patient', 'status:composed', 'status:signed', 'status:routed'),
    ...obs('b', 'input', 'composed', 'signed', 'status:routed'),
    ...obs('c', 'input', PARKED),
    ...obs('d', 'input', 'dlq:INS_KEY_MISMATCH', 'status:dead-lettered:INS_KEY_MISMATCH'),
  ];

  it('accounts for each event once when every record is there once', () => {
    const a = account(expected, clean);
    expect(a).toMatchObject({
      inputs: 4,
      delivered: 2,
      parked: 1,
      deadLettered: 1,
      lost: 0,
      duplicated: 0,
      conflicting: 0,
      wrong: 0,
      strangers: 0,
    });
  });

  it('counts an event with no outcome, or a delivery missing a route, as lost', () => {
    const a = account(
      expected,
      clean.filter((o) => !(o.eventId === 'a' && o.what === 'mss:patient') && o.eventId !== 'c'),
    );
    expect(a.lost).toBe(2);
    expect(a.verdicts.find((v) => v.eventId === 'a')?.wrong).toBe('missing mss:patient');
  });

  it('counts records written twice as duplicated, but not retrying statuses', () => {
    const a = account(expected, [...clean, ...obs('a', 'dmp'), ...obs('b', 'status:retrying:UNEXPECTED', 'status:retrying:UNEXPECTED')]);
    expect(a.duplicated).toBe(1);
    expect(a.verdicts.find((v) => v.eventId === 'a')?.duplicates).toEqual([['dmp', 2]]);
  });

  it('flags an event both delivered and dead-lettered, a wrong code, an unexpected route, a repeated input', () => {
    const a = account(expected, [
      ...clean.filter((o) => o.eventId !== 'd'),
      ...obs('b', 'dlq:UNEXPECTED', 'mss:professionals'),
      ...obs('d', 'input', 'input', 'dlq:INS_MALFORMED'),
      ...obs('zz', 'dmp'),
    ]);
    expect(a).toMatchObject({ conflicting: 1, wrong: 1, inputsRepeated: 1, strangers: 1, duplicated: 0 });
  });

  it('with the gateways, counts a route without its delivered status as lost, and a delivered status twice as duplicated', () => {
    const delivered = [...clean, ...obs('a', 'status:delivered:dmp', 'status:delivered:mss:patient')];
    expect(account(expected, delivered, { deliveries: true })).toMatchObject({ delivered: 2, lost: 0, duplicated: 0 });
    const missing = account(
      expected,
      delivered.filter((o) => o.what !== 'status:delivered:mss:patient'),
      { deliveries: true },
    );
    expect(missing.lost).toBe(1);
    expect(missing.verdicts.find((v) => v.eventId === 'a')?.wrong).toBe('missing status:delivered:mss:patient');
    const twice = account(expected, [...delivered, ...obs('a', 'status:delivered:dmp')], { deliveries: true });
    expect(twice.duplicated).toBe(1);
    expect(twice.verdicts.find((v) => v.eventId === 'a')?.duplicates).toEqual([['status:delivered:dmp', 2]]);
    // Without the gateways the routes alone are the delivery.
    expect(account(expected, clean).lost).toBe(0);
  });
});
