import { checkPatientIdentity, assertPatientIdentity, type PatientIdentity } from './identity';
import { controlKey } from './matricule';
import { INS_OID } from './oid';
import { InsError } from './errors';

/** The official VAC-NOTE example patient (test INS). */
const official: PatientIdentity = {
  ins: { matricule: '279035121518989', oid: INS_OID.NIR_TEST },
  birthFamilyName: 'PAT-TROIS',
  birthGivenNames: 'DOMINIQUE MARIE-LOUISE',
  firstGivenName: 'DOMINIQUE',
  birthDate: '1979-03-15',
  sex: 'F',
  birthPlace: '51215',
  identityStatus: 'QUALIFIEE',
};

const withKey = (first13: string): string => first13 + String(controlKey(first13)).padStart(2, '0');
const prod = (p: Partial<PatientIdentity>): PatientIdentity => ({ ...official, ins: { ...official.ins, oid: INS_OID.NIR }, ...p });
const codeOf = (p: PatientIdentity, testPlatform = false): string =>
  ((r) => (r.ok ? 'OK' : r.error.code))(checkPatientIdentity(p, { testPlatform }));

describe('checkPatientIdentity: OIDs', () => {
  it('accepts the official example on a test platform only', () => {
    const r = checkPatientIdentity(official, { testPlatform: true });
    expect(r.ok && r.identity).toMatchObject({ kind: 'NIR', platform: 'test', matricule: '279035121518989' });
    expect(codeOf(official, false)).toBe('INS_OID_TEST_ONLY');
  });

  it('accepts the demo OID on a test platform only', () => {
    const demo = { ...official, ins: { ...official.ins, oid: INS_OID.NIR_DEMO } };
    expect(codeOf(demo, true)).toBe('OK');
    expect(codeOf(demo, false)).toBe('INS_OID_TEST_ONLY');
  });

  it('accepts production NIR and NIA', () => {
    expect(codeOf(prod({}))).toBe('OK');
    const nia = checkPatientIdentity(prod({ ins: { matricule: '279035121518989', oid: INS_OID.NIA } }), { testPlatform: false });
    expect(nia.ok && nia.identity.kind).toBe('NIA');
  });

  it('never accepts INS-C, and refuses unknown OIDs', () => {
    expect(codeOf(prod({ ins: { matricule: '279035121518989', oid: INS_OID.INS_C } }), true)).toBe('INS_OID_OBSOLETE');
    expect(codeOf(prod({ ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.7' } }), true)).toBe('INS_OID_UNKNOWN');
    expect(codeOf(prod({ ins: { matricule: '279035121518989', oid: '' } }))).toBe('INS_OID_UNKNOWN');
  });
});

describe('checkPatientIdentity: matricule', () => {
  it('refuses a wrong key and a malformed number', () => {
    expect(codeOf(prod({ ins: { matricule: '279035121518988', oid: INS_OID.NIR } }))).toBe('INS_KEY_MISMATCH');
    expect(codeOf(prod({ ins: { matricule: '27903512151898', oid: INS_OID.NIR } }))).toBe('INS_MALFORMED');
  });

  it('refuses a missing INS', () => {
    expect(codeOf({ ...official, ins: undefined as unknown as PatientIdentity['ins'] }, true)).toBe('INS_MALFORMED');
  });
});

describe('checkPatientIdentity: strict traits', () => {
  it.each([
    ['birthFamilyName', { birthFamilyName: '  ' }],
    ['birthGivenNames', { birthGivenNames: '' }],
    ['firstGivenName', { firstGivenName: '' }],
    ['birthDate', { birthDate: '' }],
    ['birthPlace', { birthPlace: '' }],
  ])('requires %s', (field, patch) => {
    const r = checkPatientIdentity(prod(patch), { testPlatform: false });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INS_TRAIT_MISSING');
      expect(r.error.field).toBe(`patient.${field}`);
    }
  });

  it('requires the first given name to be the first of the birth given names', () => {
    expect(codeOf(prod({ firstGivenName: 'MARIE-LOUISE' }))).toBe('INS_TRAIT_INCONSISTENT');
    expect(codeOf(prod({ firstGivenName: 'DOM' }))).toBe('INS_TRAIT_INCONSISTENT');
    expect(codeOf(prod({ birthGivenNames: 'DOMINIQUE' }))).toBe('OK');
    expect(codeOf(prod({ birthGivenNames: 'DOMINIQUE  MARIE-LOUISE JEANNE' }))).toBe('OK');
  });

  it('refuses malformed traits', () => {
    expect(codeOf(prod({ birthDate: '1979-02-30' }))).toBe('INS_TRAIT_MALFORMED');
    expect(codeOf(prod({ birthDate: '15/03/1979' }))).toBe('INS_TRAIT_MALFORMED');
    expect(codeOf(prod({ sex: 'X' }))).toBe('INS_TRAIT_MALFORMED');
    expect(codeOf(prod({ birthPlace: '5121' }))).toBe('INS_TRAIT_MALFORMED');
    expect(codeOf(prod({ birthPlace: '2C073' }))).toBe('INS_TRAIT_MALFORMED');
    expect(codeOf(prod({ birthFamilyName: 'PAT\u0000TROIS' }))).toBe('INS_TRAIT_MALFORMED');
  });
});

describe('checkPatientIdentity: consistency with the matricule', () => {
  it('checks the sex digit against the sex', () => {
    expect(codeOf(prod({ sex: 'M' }))).toBe('INS_TRAIT_INCONSISTENT');
    expect(codeOf(prod({ sex: 'U' }))).toBe('OK');
  });

  it('checks the year and a known month against the birth date', () => {
    expect(codeOf(prod({ birthDate: '1978-03-15' }))).toBe('INS_TRAIT_INCONSISTENT');
    expect(codeOf(prod({ birthDate: '1879-03-15' }))).toBe('OK');
    expect(codeOf(prod({ birthDate: '1979-04-15' }))).toBe('INS_TRAIT_INCONSISTENT');
    // Month 35 ("unknown month"): any month of the right year.
    const m = withKey('2793551215189');
    expect(codeOf(prod({ ins: { matricule: m, oid: INS_OID.NIR }, birthDate: '1979-11-02' }))).toBe('OK');
  });

  it('checks the department against the birth place', () => {
    expect(codeOf(prod({ birthPlace: '52215' }))).toBe('INS_TRAIT_INCONSISTENT');
    expect(codeOf(prod({ birthPlace: '51001' }))).toBe('OK'); // communes merge: only the department is compared
  });

  it('handles Corsica', () => {
    const corsican = prod({
      ins: { matricule: '253072B07300470', oid: INS_OID.NIR },
      birthDate: '1953-07-01',
      birthPlace: '2B073',
    });
    expect(codeOf(corsican)).toBe('OK');
    expect(codeOf({ ...corsican, birthPlace: '2A004' })).toBe('INS_TRAIT_INCONSISTENT');
    // Registered before 1976: department 20 stands for both.
    const old = prod({
      ins: { matricule: withKey('1650220123045'), oid: INS_OID.NIR },
      sex: 'M',
      birthDate: '1965-02-10',
      birthPlace: '2A004',
    });
    expect(codeOf(old)).toBe('OK');
  });

  it('handles a birth abroad (99 ↔ 99xxx) with a NIR or a NIA', () => {
    const abroad = prod({
      ins: { matricule: '185129935212381', oid: INS_OID.NIA },
      sex: 'M',
      birthDate: '1985-12-24',
      birthPlace: '99352',
    });
    expect(codeOf(abroad)).toBe('OK');
    expect(codeOf({ ...abroad, ins: { ...abroad.ins, oid: INS_OID.NIR } })).toBe('OK');
    expect(codeOf({ ...abroad, birthPlace: '75056' })).toBe('INS_TRAIT_INCONSISTENT');
    // Born in France, matricule says abroad: inconsistent; and the converse.
    expect(codeOf(prod({ birthPlace: '99100' }))).toBe('INS_TRAIT_INCONSISTENT');
    // Born in Algeria before 1962: department 91-94 with a 99xxx birth place.
    const algeria = prod({
      ins: { matricule: withKey('1560391352012'), oid: INS_OID.NIR },
      sex: 'M',
      birthDate: '1956-03-05',
      birthPlace: '99352',
    });
    expect(codeOf(algeria)).toBe('OK');
  });

  it('handles overseas departments', () => {
    const reunion = prod({
      ins: { matricule: '292049740801282', oid: INS_OID.NIR },
      birthDate: '1992-04-30',
      birthPlace: '97408',
    });
    expect(codeOf(reunion)).toBe('OK');
    expect(codeOf({ ...reunion, birthPlace: '97108' })).toBe('INS_TRAIT_INCONSISTENT');
  });
});

describe('checkPatientIdentity: identity status', () => {
  it.each(['PROVISOIRE', 'RECUPEREE', 'VALIDEE'])('parks a %s identity', (status) => {
    const r = checkPatientIdentity({ ...official, identityStatus: status }, { testPlatform: true });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('IDENTITY_NOT_QUALIFIED');
      expect(r.error.parkable).toBe(true);
    }
  });

  it('refuses an unknown status as a permanent error', () => {
    const r = checkPatientIdentity({ ...official, identityStatus: 'QUALIFIED' }, { testPlatform: true });
    expect(!r.ok && [r.error.code, r.error.parkable]).toEqual(['IDENTITY_STATUS_UNKNOWN', false]);
  });

  it('reports a broken INS rather than parking an unqualified identity', () => {
    expect(codeOf({ ...official, identityStatus: 'PROVISOIRE', ins: { ...official.ins, matricule: '279035121518988' } }, true)).toBe(
      'INS_KEY_MISMATCH',
    );
  });
});

describe('assertPatientIdentity', () => {
  it('throws an InsError whose message names the field and rule, not the value', () => {
    expect(() => assertPatientIdentity({ ...official, birthPlace: '52215' }, { testPlatform: true })).toThrow(InsError);
    try {
      assertPatientIdentity({ ...official, birthFamilyName: 'PAT-TROIS', sex: 'M' }, { testPlatform: true });
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('patient.sex');
      for (const value of ['PAT-TROIS', 'DOMINIQUE', '279035121518989', '1979-03-15', '51215']) {
        expect(message).not.toContain(value);
      }
      return;
    }
    throw new Error('expected a failure');
  });
});
