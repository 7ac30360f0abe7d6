import { checkPatientIdentity, type PatientIdentity } from '@passerelle/ins';
import { FINESS_PATTERN, RPPS_PATTERN } from '@passerelle/identifiers';
import type { EventFamily } from '@passerelle/schemas';
import type { Violation } from './errors';

/**
 * The rules an Avro schema cannot say: identifier shapes, real calendar dates, at least one dispensed line…
 * They run on an event that already fits its schema (so every field has its type), and each names the field's
 * path and the rule, never the value.
 */
export interface EventRuleOptions {
  /** The deployment is a test platform: the INS test (…4.10) and demo (…4.11) OIDs are accepted. */
  testPlatform: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CIP13 = /^\d{13}$/;
// UCD: 7 digits (UCD7) or its 13-digit form (UCD13, 340093 + UCD7…).
const UCD = /^(\d{7}|\d{13})$/;
// An address: local part @ domain with at least one dot; MSSanté addresses are ordinary mail addresses.
const MAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const COUNTRY = /^[A-Z]{2}$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Whether `YYYY-MM-DD` names a day that exists (no 2025-02-30). */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1800 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Collects violations; `check` only runs when the field holds a string (a missing or mistyped one is the
 * schema's to report). */
class RuleSet {
  readonly violations: Violation[] = [];
  add(path: string, rule: string): void {
    if (!this.violations.some((v) => v.path === path)) this.violations.push({ path, rule });
  }
  text(path: string, value: unknown, test: (s: string) => boolean, rule: string): void {
    const s = str(value);
    if (s !== undefined && !test(s)) this.add(path, rule);
  }
  pattern(path: string, value: unknown, re: RegExp, rule: string): void {
    this.text(path, value, (s) => re.test(s), rule);
  }
  date(path: string, value: unknown): void {
    const s = str(value);
    if (s === undefined) return;
    if (!DATE.test(s)) this.add(path, 'must be a date YYYY-MM-DD');
    else if (!isCalendarDate(s)) this.add(path, 'must be a real calendar date');
  }
  uuid(path: string, value: unknown): void {
    this.pattern(path, value, UUID, 'must be a UUID (8-4-4-4-12 hexadecimal digits)');
  }
  rpps(path: string, value: unknown): void {
    this.pattern(path, value, RPPS_PATTERN, 'must be an RPPS number of 11 digits');
  }
  mail(path: string, value: unknown): void {
    this.pattern(path, value, MAIL, 'must be a mail address (local-part@domain)');
  }
  notBlank(path: string, value: unknown): void {
    this.text(path, value, (s) => s.trim() !== '', 'must not be empty');
  }
  positive(path: string, value: unknown, rule = 'must be greater than 0'): void {
    if (typeof value === 'number' && !(value > 0)) this.add(path, rule);
  }
}

/** Checks the rules beyond the schema on an event of `family` (already schema-valid). */
export function ruleViolations(family: EventFamily, event: Json, options: EventRuleOptions): Violation[] {
  const r = new RuleSet();
  r.uuid('eventId', event.eventId);
  r.positive('occurredAt', event.occurredAt, 'must be a time after 1970 (epoch milliseconds)');

  const correction = obj(event.correction);
  if (correction) {
    r.uuid('correction.originalEventId', correction.originalEventId);
    r.uuid('correction.replacedEventId', correction.replacedEventId);
    const n = correction.versionNumber;
    if (typeof n === 'number' && n < 2) r.add('correction.versionNumber', 'must be 2 or more (version 1 is the original event)');
  }

  const pharmacy = obj(event.pharmacy);
  if (pharmacy) {
    r.pattern('pharmacy.finess', pharmacy.finess, FINESS_PATTERN, 'must be a FINESS number of 9 characters (digits, 2A/2B for Corsica)');
    r.notBlank('pharmacy.name', pharmacy.name);
    r.mail('pharmacy.mssanteAddress', pharmacy.mssanteAddress);
    const address = obj(pharmacy.address);
    if (address) r.pattern('pharmacy.address.country', address.country, COUNTRY, 'must be an ISO 3166-1 alpha-2 code (2 capital letters)');
  }

  const author = obj(event.author);
  if (author) {
    r.rpps('author.rpps', author.rpps);
    r.notBlank('author.familyName', author.familyName);
  }

  const patient = obj(event.patient);
  if (patient) {
    r.notBlank('patient.localId', patient.localId);
    const ins = obj(patient.ins);
    if (ins) r.pattern('patient.ins.matricule', ins.matricule, /^.{15}$/, 'must be 15 characters (13 + a 2-digit key)');
    r.date('patient.birthDate', patient.birthDate);
    // The INS rules proper (key, OID, strict traits and their consistency) belong to @passerelle/ins. An identity
    // that is merely not qualified yet is not refused here: the pipeline parks it until the pharmacy qualifies it.
    const identity = checkPatientIdentity(patient as unknown as PatientIdentity, { testPlatform: options.testPlatform });
    if (!identity.ok && identity.error.code !== 'IDENTITY_NOT_QUALIFIED') r.add(identity.error.field, identity.error.rule);
  }

  const recipients = Array.isArray(event.recipients) ? event.recipients : [];
  recipients.forEach((item, i) => {
    const recipient = obj(item);
    if (!recipient) return;
    r.mail(`recipients[${i}].mssanteAddress`, recipient.mssanteAddress);
    r.rpps(`recipients[${i}].rpps`, recipient.rpps);
  });

  FAMILY_RULES[family](r, event);
  return r.violations;
}

/** Each family's own rules (the compiler asks for a row when the catalogue gains a family). */
const FAMILY_RULES: Record<EventFamily, (r: RuleSet, event: Json) => void> = {
  vaccination: (r, event) => vaccinationRules(r, obj(event.vaccination)),
  dispensation: (r, event) => dispensationRules(r, obj(event.dispensation)),
  medicationReview: (r, event) => reviewRules(r, obj(event.review)),
};

function vaccinationRules(r: RuleSet, vaccination: Json | undefined): void {
  if (!vaccination) return;
  r.date('vaccination.administeredAt', vaccination.administeredAt);
  r.notBlank('vaccination.lotNumber', vaccination.lotNumber);
  const vaccine = obj(vaccination.vaccine);
  if (vaccine) {
    r.pattern('vaccination.vaccine.cis', vaccine.cis, /^\d{8}$/, 'must be a CIS code of 8 digits');
    r.pattern('vaccination.vaccine.atc', vaccine.atc, /^[A-Z]\d{2}[A-Z]{2}\d{2}$/, 'must be an ATC code of 7 characters (e.g. J07BB02)');
  }
  r.positive('vaccination.doseNumber', vaccination.doseNumber, 'must be 1 or more');
  const dose = obj(vaccination.doseQuantity);
  if (dose) r.positive('vaccination.doseQuantity.value', dose.value);
}

function dispensationRules(r: RuleSet, dispensation: Json | undefined): void {
  if (!dispensation) return;
  r.date('dispensation.dispensedAt', dispensation.dispensedAt);
  const prescription = obj(dispensation.prescription);
  if (prescription) {
    r.date('dispensation.prescription.prescribedAt', prescription.prescribedAt);
    const prescriber = obj(prescription.prescriber);
    if (prescriber) {
      r.rpps('dispensation.prescription.prescriber.rpps', prescriber.rpps);
      r.mail('dispensation.prescription.prescriber.mssanteAddress', prescriber.mssanteAddress);
    }
  }
  const lines = Array.isArray(dispensation.lines) ? dispensation.lines : undefined;
  if (lines && lines.length === 0) r.add('dispensation.lines', 'must hold at least one dispensed line');
  lines?.forEach((item, i) => {
    const line = obj(item);
    const product = obj(line?.product);
    if (product) {
      r.pattern(`dispensation.lines[${i}].product.cip13`, product.cip13, CIP13, 'must be a CIP13 code of 13 digits');
      r.pattern(`dispensation.lines[${i}].product.ucd`, product.ucd, UCD, 'must be a UCD code of 7 or 13 digits');
      if (product.cip13 == null && product.ucd == null) {
        r.add(`dispensation.lines[${i}].product`, 'must carry a CIP13 or a UCD code');
      }
    }
    const quantity = obj(line?.quantity);
    if (quantity) r.positive(`dispensation.lines[${i}].quantity.value`, quantity.value);
  });
}

function reviewRules(r: RuleSet, review: Json | undefined): void {
  if (!review) return;
  r.date('review.performedAt', review.performedAt);
  const medications = Array.isArray(review.medications) ? review.medications : [];
  medications.forEach((item, i) => {
    const medication = obj(item);
    if (medication) r.pattern(`review.medications[${i}].cip13`, medication.cip13, CIP13, 'must be a CIP13 code of 13 digits');
  });
}
