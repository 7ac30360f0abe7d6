import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { seedFastCheck } from '../../../test/support/seed';
import {
  EVENT_NAMESPACE,
  MSS_MESSAGE_NAMESPACE,
  nameBasedUuid,
  finessOfOrganisationId,
  isFiness,
  isOid,
  isRpps,
  nameBasedOid,
  organisationId,
  professionalId,
  SUBMISSION_SET_NAMESPACE,
  uuidToOid,
} from './index';

seedFastCheck(); // FC_SEED replays a run of the property tests below

describe('derived ids', () => {
  it('are the ids the hand-written derivations gave before (values fixed on the day they moved here)', () => {
    // A document id (cda) and a submission set id (signature) computed by the code this package replaced.
    expect(nameBasedOid(EVENT_NAMESPACE, 'document:3f2c1a9e-0000-4000-8000-000000000001')).toBe(
      '2.25.183777397759018510350882833772205438735',
    );
    expect(nameBasedOid(SUBMISSION_SET_NAMESPACE, '1.2.250.1.999.1.1.7898.4.101')).toBe('2.25.218169183509049340711295119490572427133');
  });

  it('follow RFC 9562: version 5 and the RFC variant, and depend on both namespace and name', () => {
    const hex = BigInt(nameBasedOid(EVENT_NAMESPACE, 'x').slice(5)).toString(16).padStart(32, '0');
    expect(hex[12]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(hex[16]);
    expect(nameBasedOid(EVENT_NAMESPACE, 'x')).not.toBe(nameBasedOid(SUBMISSION_SET_NAMESPACE, 'x'));
    expect(nameBasedOid(EVENT_NAMESPACE, 'x')).not.toBe(nameBasedOid(EVENT_NAMESPACE, 'y'));
  });

  it("are the uuid package's version-5 UUIDs, for any name (any code point) in each namespace", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(EVENT_NAMESPACE, SUBMISSION_SET_NAMESPACE, MSS_MESSAGE_NAMESPACE),
        fc.string({ unit: 'binary' }),
        (ns, name) => {
          const uuid = uuidv5(name, ns);
          expect(nameBasedUuid(ns, name)).toBe(uuid);
          expect(nameBasedOid(ns, name)).toBe(uuidToOid(uuid));
        },
      ),
      { numRuns: 2000 },
    );
    expect(() => nameBasedOid(EVENT_NAMESPACE, 'a\ud800')).toThrow(URIError); // as the uuid package does
    expect(() => nameBasedOid('not-a-namespace', 'x')).toThrow(TypeError);
  });

  it('are OIDs that fit an XDS uniqueId', () => {
    expect(uuidToOid('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(`2.25.${(2n ** 128n - 1n).toString()}`);
    expect(isOid(uuidToOid('ffffffff-ffff-ffff-ffff-ffffffffffff'))).toBe(true);
    expect(isOid('2.25.01')).toBe(false);
    expect(isOid('not.an.oid')).toBe(false);
    expect(isOid(`1.${'2'.repeat(63)}`)).toBe(false);
  });
});

describe('national health ids', () => {
  it('FINESS: 9 characters, department first (2A/2B in Corsica)', () => {
    for (const ok of ['750000001', '2A0000015', '2B1234567']) expect(isFiness(ok)).toBe(true);
    for (const bad of ['75000000', '7500000011', '2C0000015', 'A50000001', '75000000X']) expect(isFiness(bad)).toBe(false);
  });

  it('RPPS: 11 digits', () => {
    expect(isRpps('10001234567')).toBe(true);
    for (const bad of ['1000123456', '100012345678', '1000123456A']) expect(isRpps(bad)).toBe(false);
  });

  it('organisation and professional ids, and the FINESS read back from one', () => {
    expect(organisationId('2A0000015')).toBe('12A0000015');
    expect(professionalId('10001234567')).toBe('810001234567');
    expect(finessOfOrganisationId('12A0000015')).toBe('2A0000015');
    expect(finessOfOrganisationId(professionalId('10001234567'))).toBeUndefined();
    expect(finessOfOrganisationId('1750000001X')).toBeUndefined();
  });
});
