import { InsError } from './errors';
import { parseMatricule, type ParsedMatricule } from './matricule';
import { insAuthority, type InsKind, type InsPlatform } from './oid';

/** The identity fields of an event's patient that the INS rules read (a subset of `Patient` in @passerelle/schemas). */
export interface PatientIdentity {
  ins: { matricule: string; oid: string };
  birthFamilyName: string;
  birthGivenNames: string;
  firstGivenName: string;
  birthDate: string;
  sex: string;
  birthPlace: string;
  identityStatus: string;
  /** Used names (nom et prénom utilisés), when they differ from the birth ones */
  usedFamilyName?: string | null;
  usedGivenName?: string | null;
}

export interface IdentityCheckOptions {
  /** The deployment is a test platform: the test (…4.10) and demo (…4.11) OIDs are accepted */
  testPlatform: boolean;
}

/** The traits a document carries for its patient, as they were checked. */
export interface IdentityTraits {
  birthFamilyName: string;
  birthGivenNames: string;
  firstGivenName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'F' | 'M' | 'U';
  /** INSEE code of the birth place */
  birthPlace: string;
  usedFamilyName: string | null;
  usedGivenName: string | null;
}

declare const qualified: unique symbol;

/**
 * A qualified identity, checked against the INS rules: the only patient a document may be built for. Only this
 * package makes one (the brand cannot be written elsewhere without a cast), so a builder that takes it cannot be
 * given an unchecked patient.
 */
export interface CheckedIdentity {
  readonly kind: InsKind;
  readonly platform: InsPlatform;
  readonly matricule: string;
  readonly oid: string;
  readonly parsed: ParsedMatricule;
  readonly traits: Readonly<IdentityTraits>;
  readonly [qualified]: true;
}
export type QualifiedIdentity = CheckedIdentity;

export type IdentityCheck = { ok: true; identity: QualifiedIdentity } | { ok: false; error: InsError };

export const IDENTITY_STATUSES = ['PROVISOIRE', 'RECUPEREE', 'VALIDEE', 'QUALIFIEE'] as const;

const BIRTH_PLACE = /^(\d{5}|2[AB]\d{3})$/;
const BIRTH_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Control characters have no place in a name; they would also be dropped from an XML document.
const CONTROL = /[\u0000-\u001f\u007f]/;

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InsError('INS_TRAIT_MISSING', field, 'is a strict trait and must not be empty');
  }
  if (CONTROL.test(value)) {
    throw new InsError('INS_TRAIT_MALFORMED', field, 'must not contain control characters');
  }
  return value;
}

const words = (s: string): string[] => s.trim().split(/\s+/);

function checkBirthDate(value: string): { year: number; month: number } {
  const m = BIRTH_DATE.exec(value);
  if (!m) throw new InsError('INS_TRAIT_MALFORMED', 'patient.birthDate', 'must be a date YYYY-MM-DD');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1800 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new InsError('INS_TRAIT_MALFORMED', 'patient.birthDate', 'must be a real calendar date');
  }
  return { year, month };
}

/**
 * Where the INSEE birth place and the matricule's department must agree. The commune is not compared: communes
 * merge and change numbers, while the matricule keeps the number of the commune at registration.
 * - born abroad: birth place 99xxx; the matricule has department 99, or 91–96 for births before independence
 *   in Algeria (91–94), Morocco (95) and Tunisia (96);
 * - department 99 requires a 99xxx birth place;
 * - Corsica: a matricule of a person registered before 1976 carries 20 for either 2A or 2B;
 * - otherwise the birth place starts with the department (2 or 3 characters).
 */
function birthPlaceMatches(parsed: ParsedMatricule, birthPlace: string): boolean {
  const dept = parsed.department;
  const placeAbroad = birthPlace.startsWith('99');
  if (placeAbroad) return dept === '99' || ['91', '92', '93', '94', '95', '96'].includes(dept);
  if (dept === '99') return false;
  if (dept === '20') return birthPlace.startsWith('2A') || birthPlace.startsWith('2B') || birthPlace.startsWith('20');
  return birthPlace.startsWith(dept);
}

function check(patient: PatientIdentity, options: IdentityCheckOptions): CheckedIdentity {
  if (!patient.ins || typeof patient.ins !== 'object') {
    throw new InsError('INS_MALFORMED', 'patient.ins', 'is required');
  }
  const authority = insAuthority(patient.ins.oid, options);
  const parsed = parseMatricule(patient.ins.matricule);

  // The five strict traits.
  requireText(patient.birthFamilyName, 'patient.birthFamilyName');
  const givenNames = requireText(patient.birthGivenNames, 'patient.birthGivenNames');
  const first = requireText(patient.firstGivenName, 'patient.firstGivenName');
  // INSi returns every birth given name separated by spaces; the first given name is the first of them.
  if (words(first).join(' ') !== words(givenNames).slice(0, words(first).length).join(' ')) {
    throw new InsError('INS_TRAIT_INCONSISTENT', 'patient.firstGivenName', 'must be the first of the birth given names');
  }
  const birthDate = checkBirthDate(requireText(patient.birthDate, 'patient.birthDate'));
  const sex = requireText(patient.sex, 'patient.sex');
  if (!['F', 'M', 'U'].includes(sex)) {
    throw new InsError('INS_TRAIT_MALFORMED', 'patient.sex', 'must be F, M or U');
  }
  const birthPlace = requireText(patient.birthPlace, 'patient.birthPlace');
  if (!BIRTH_PLACE.test(birthPlace)) {
    throw new InsError('INS_TRAIT_MALFORMED', 'patient.birthPlace', 'must be an INSEE code of 5 characters (99xxx abroad, 2A/2B Corsica)');
  }

  // Consistency of the traits with the matricule, where the rules allow a comparison.
  if (sex !== 'U' && sex !== parsed.sex) {
    throw new InsError('INS_TRAIT_INCONSISTENT', 'patient.sex', 'must match the sex digit of the matricule');
  }
  if (Number(parsed.year) !== birthDate.year % 100) {
    throw new InsError('INS_TRAIT_INCONSISTENT', 'patient.birthDate', 'year must match the year of the matricule');
  }
  if (parsed.monthKnown && Number(parsed.month) !== birthDate.month) {
    throw new InsError('INS_TRAIT_INCONSISTENT', 'patient.birthDate', 'month must match the month of the matricule');
  }
  if (!birthPlaceMatches(parsed, birthPlace)) {
    throw new InsError(
      'INS_TRAIT_INCONSISTENT',
      'patient.birthPlace',
      'must match the birth department of the matricule (99 for a birth abroad)',
    );
  }

  if (!(IDENTITY_STATUSES as readonly string[]).includes(patient.identityStatus)) {
    throw new InsError('IDENTITY_STATUS_UNKNOWN', 'patient.identityStatus', 'must be PROVISOIRE, RECUPEREE, VALIDEE or QUALIFIEE');
  }
  // Checked last: an identity that is well formed but not yet qualified is parked, not dead-lettered.
  if (patient.identityStatus !== 'QUALIFIEE') {
    throw new InsError('IDENTITY_NOT_QUALIFIED', 'patient.identityStatus', 'only a qualified identity may appear in a document');
  }
  const traits: IdentityTraits = {
    birthFamilyName: patient.birthFamilyName,
    birthGivenNames: givenNames,
    firstGivenName: first,
    birthDate: patient.birthDate,
    sex: sex as IdentityTraits['sex'],
    birthPlace,
    usedFamilyName: patient.usedFamilyName ?? null,
    usedGivenName: patient.usedGivenName ?? null,
  };
  return Object.freeze({
    ...authority,
    matricule: patient.ins.matricule,
    oid: patient.ins.oid,
    parsed,
    traits: Object.freeze(traits),
  }) as QualifiedIdentity;
}

/**
 * Checks an event's patient identity against the INS rules (REFERENCE §4, DESIGN §3): matricule shape and key,
 * OID, the five strict traits and their consistency with the matricule, then the identity status.
 * Never throws: returns the checked identity or the first rule broken.
 */
export function checkPatientIdentity(patient: PatientIdentity, options: IdentityCheckOptions): IdentityCheck {
  try {
    return { ok: true, identity: check(patient, options) };
  } catch (err) {
    if (err instanceof InsError) return { ok: false, error: err };
    throw err;
  }
}

/** Like {@link checkPatientIdentity}, but throws the {@link InsError}. */
export function assertPatientIdentity(patient: PatientIdentity, options: IdentityCheckOptions): CheckedIdentity {
  return check(patient, options);
}
