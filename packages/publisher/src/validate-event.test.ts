import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TOPICS } from '@passerelle/schemas';
import { InvalidEventError } from './errors';
import { checkEvent, topicForEvent, validateEvent } from './validate-event';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'events');
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Json;
const onTest = { testPlatform: true };

/** Every personal value of the sample patient: none may appear in an error message. */
function personalValues(event: Json): string[] {
  const p = event.patient;
  return [p.localId, p.ins.matricule, p.birthFamilyName, p.birthGivenNames, p.firstGivenName, p.birthDate, p.birthPlace];
}

/** Validates `event`, expects an InvalidEventError, and checks that its message names each path and rule but no
 * value of the event's patient nor the `badValue`. */
function expectInvalid(
  topic: Parameters<typeof validateEvent>[0],
  event: Json,
  expected: Array<{ path: string; rule: string | RegExp }>,
  badValue?: string,
): InvalidEventError {
  let error: unknown;
  try {
    validateEvent(topic, event, onTest);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(InvalidEventError);
  const invalid = error as InvalidEventError;
  expect(invalid.code).toBe('INVALID_EVENT');
  expect(invalid.kind).toBe('permanent');
  for (const { path, rule } of expected) {
    const found = invalid.violations.find((v) => v.path === path);
    expect(found).toBeDefined();
    if (typeof rule === 'string') expect(found?.rule).toBe(rule);
    else expect(found?.rule).toMatch(rule);
    expect(invalid.message).toContain(`${path}: ${found?.rule}`);
  }
  if (badValue !== undefined) expect(invalid.message).not.toContain(badValue);
  for (const value of personalValues(event)) {
    if (typeof value === 'string' && value.length > 0) expect(invalid.message).not.toContain(value);
  }
  return invalid;
}

describe('validateEvent: the sample events', () => {
  it.each([
    ['vaccination', EVENT_TOPICS.vaccination],
    ['dispensation', EVENT_TOPICS.dispensation],
    ['medication-review', EVENT_TOPICS.medicationReview],
    ['pharmaceutical-interview', EVENT_TOPICS.medicationReview],
  ] as const)('%s is valid for %s and comes back with every field', (name, topic) => {
    const event = fixture(name);
    expect(topicForEvent(event)).toBe(topic);
    expect(checkEvent(topic, event, onTest)).toEqual([]);
    expect(validateEvent(topic, event, onTest)).toEqual(event);
  });

  it('fills the Avro defaults of fields a producer left out', () => {
    const event = fixture('vaccination');
    delete event.recipients;
    delete event.confidentiality;
    delete event.correction;
    delete event.patient.dmpOpposition;
    delete event.vaccination.comment;
    const valid = validateEvent(EVENT_TOPICS.vaccination, event, onTest);
    expect(valid.recipients).toEqual([]);
    expect(valid.confidentiality).toEqual({
      level: 'N',
      maskedFromProfessionals: false,
      invisibleToPatient: false,
      invisibleToLegalRepresentatives: false,
    });
    expect(valid.correction).toBeNull();
    expect(valid.patient.dmpOpposition).toBe(false);
    expect(valid.vaccination.comment).toBeNull();
  });

  it('accepts an identity that is not qualified yet (the pipeline parks it, it is not a bad event)', () => {
    const event = fixture('vaccination');
    event.patient.identityStatus = 'PROVISOIRE';
    expect(checkEvent(EVENT_TOPICS.vaccination, event, onTest)).toEqual([]);
  });
});

describe('validateEvent: bad events name the field and the rule, never the value', () => {
  it('a birth date in the French format', () => {
    const event = fixture('vaccination');
    event.patient.birthDate = '15/03/1979';
    expectInvalid(EVENT_TOPICS.vaccination, event, [{ path: 'patient.birthDate', rule: 'must be a date YYYY-MM-DD' }], '15/03/1979');
  });

  it('a date that does not exist', () => {
    const event = fixture('dispensation');
    event.dispensation.dispensedAt = '2025-02-30';
    expectInvalid(
      EVENT_TOPICS.dispensation,
      event,
      [{ path: 'dispensation.dispensedAt', rule: 'must be a real calendar date' }],
      '2025-02-30',
    );
  });

  it('identifiers of the wrong shape: event id, FINESS, RPPS, INS matricule', () => {
    const event = fixture('vaccination');
    event.eventId = 'evt-42';
    event.pharmacy.finess = '75010';
    event.author.rpps = '1000123456X';
    event.patient.ins.matricule = '27903512151898';
    const error = expectInvalid(EVENT_TOPICS.vaccination, event, [
      { path: 'eventId', rule: /UUID/ },
      { path: 'pharmacy.finess', rule: /FINESS number of 9 characters/ },
      { path: 'author.rpps', rule: 'must be an RPPS number of 11 digits' },
      { path: 'patient.ins.matricule', rule: /15 characters/ },
    ]);
    for (const value of ['evt-42', '75010', '1000123456X', '27903512151898']) expect(error.message).not.toContain(value);
    expect(error.violations).toHaveLength(4);
  });

  it('an INS matricule whose key is wrong (the rule of @passerelle/ins)', () => {
    const event = fixture('medication-review');
    event.patient.ins.matricule = '279035121518988';
    expectInvalid(EVENT_TOPICS.medicationReview, event, [{ path: 'patient.ins.matricule', rule: /key must equal 97/ }], '279035121518988');
  });

  it('an INS test OID outside a test platform', () => {
    const event = fixture('vaccination');
    const violations = checkEvent(EVENT_TOPICS.vaccination, event, { testPlatform: false });
    expect(violations).toEqual([{ path: 'patient.ins.oid', rule: 'test and demo INS OIDs are accepted only on a test platform' }]);
  });

  it('a dispensation without any line', () => {
    const event = fixture('dispensation');
    event.dispensation.lines = [];
    expectInvalid(EVENT_TOPICS.dispensation, event, [{ path: 'dispensation.lines', rule: 'must hold at least one dispensed line' }]);
  });

  it('MSSanté addresses that are not addresses', () => {
    const event = fixture('vaccination');
    event.recipients[0].mssanteAddress = 'jean.dupont';
    event.pharmacy.mssanteAddress = 'pharmacie @ italie.fr';
    expectInvalid(
      EVENT_TOPICS.vaccination,
      event,
      [
        { path: 'recipients[0].mssanteAddress', rule: 'must be a mail address (local-part@domain)' },
        { path: 'pharmacy.mssanteAddress', rule: 'must be a mail address (local-part@domain)' },
      ],
      'jean.dupont',
    );
  });

  it('a correction whose version number is below 2', () => {
    const event = fixture('vaccination');
    event.correction = { originalEventId: event.eventId, replacedEventId: event.eventId, versionNumber: 1 };
    expectInvalid(EVENT_TOPICS.vaccination, event, [{ path: 'correction.versionNumber', rule: /must be 2 or more/ }]);
  });

  it('schema errors: wrong type, unknown enum symbol, missing field, undeclared field, by exact path', () => {
    const event = fixture('dispensation');
    event.dispensation.lines[1].quantity.value = 'deux';
    event.patient.sex = 'X';
    delete event.patient.birthFamilyName;
    event.patient.nickname = 'Dodo';
    event.dispensation.prescription.prescriber.mssanteAddress = 42;
    const error = expectInvalid(
      EVENT_TOPICS.dispensation,
      event,
      [
        { path: 'dispensation.lines[1].quantity.value', rule: 'must be a number' },
        { path: 'patient.sex', rule: 'must be one of F, M, U' },
        { path: 'patient.birthFamilyName', rule: 'is required' },
        { path: 'patient.nickname', rule: 'is not a field of the schema' },
        { path: 'dispensation.prescription.prescriber.mssanteAddress', rule: 'must be null or a string' },
      ],
      'deux',
    );
    expect(error.message).not.toContain('Dodo');
    expect(error.message).toMatch(/^Invalid event for lgo\.dispensation\.v1 \(5 problems\): /);
  });

  it('a dispensed product with neither CIP13 nor UCD, and a CIP13 of the wrong length', () => {
    const event = fixture('dispensation');
    event.dispensation.lines[0].product.cip13 = null;
    event.dispensation.lines[1].product.cip13 = '340093000000';
    expectInvalid(
      EVENT_TOPICS.dispensation,
      event,
      [
        { path: 'dispensation.lines[0].product', rule: 'must carry a CIP13 or a UCD code' },
        { path: 'dispensation.lines[1].product.cip13', rule: 'must be a CIP13 code of 13 digits' },
      ],
      '340093000000',
    );
  });

  it('an event that is not an object', () => {
    expect(checkEvent(EVENT_TOPICS.vaccination, 'hello')).toEqual([{ path: '', rule: 'must be an object (VaccinationEvent)' }]);
    expect(checkEvent('lgo.unknown.v1', {})).toEqual([{ path: '', rule: expect.stringContaining('topic must be one of') }]);
  });
});

describe('topicForEvent', () => {
  it('refuses a body with no family, or with two', () => {
    const none = fixture('vaccination');
    delete none.vaccination;
    expect(() => topicForEvent(none)).toThrow(/must hold exactly one body field of vaccination, dispensation, review/);
    const both = { ...fixture('vaccination'), review: fixture('medication-review').review };
    expect(() => topicForEvent(both)).toThrow(InvalidEventError);
    expect(() => topicForEvent([])).toThrow(/must be a JSON object/);
  });
});
