import { InsError } from './errors';

/**
 * A matricule (NIR or NIA) split into its parts. Both share the NIR layout: sex (1), year (2), month (2),
 * birth department (2, or 3 for 97x/98x), commune (3, or 2 after a 3-character department), order (3), key (2).
 */
export interface ParsedMatricule {
  /** 1 man, 2 woman; 3/4 and 7/8 are the same sexes for numbers given to persons being registered / temporary */
  sexDigit: string;
  /** Last two digits of the birth year */
  year: string;
  /** 01–12, or a code of the "unknown month" ranges (20, 30–42, 50–99) */
  month: string;
  /** 2 characters (`01`–`95`, `2A`, `2B`, `20` before 1976, `96`, `99` abroad) or 3 digits (`971`…`989`) */
  department: string;
  /** INSEE commune number within the department (or the country code when the department is 99) */
  commune: string;
  order: string;
  key: string;
  /** The sex the sex digit encodes */
  sex: 'M' | 'F';
  /** The month is a real calendar month (01–12) that can be compared with the birth date */
  monthKnown: boolean;
  /** Born abroad (department 99) */
  bornAbroad: boolean;
}

const FIELD = 'patient.ins.matricule';
const SHAPE = /^([1-478])(\d{2})(\d{2})(\d[\dAB])(\d{3})(\d{3})(\d{2})$/;

/**
 * The control key of the first 13 characters: 97 − (n mod 97), after replacing the Corsican departments
 * 2A by 19 and 2B by 18 (their numbers before the split). A 13-digit number is below 2^53, so a JavaScript
 * number holds it exactly.
 */
export function controlKey(first13: string): number {
  const digits = first13.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  if (!/^\d{13}$/.test(digits)) {
    throw new InsError('INS_MALFORMED', FIELD, 'the first 13 characters must be digits, with 2A or 2B only as department');
  }
  return 97 - (Number(digits) % 97);
}

function isValidMonth(month: number): boolean {
  // 01–12: a real month. 20 and 30–42: "month unknown" or fictitious months of incomplete civil records;
  // 50 and above: numbers given on declarative documents (NIA, persons born abroad) without a known month.
  return (month >= 1 && month <= 12) || month === 20 || (month >= 30 && month <= 42) || month >= 50;
}

/**
 * Parses and checks a matricule's shape and key. Throws an {@link InsError} `INS_MALFORMED` or `INS_KEY_MISMATCH`.
 */
export function parseMatricule(matricule: string): ParsedMatricule {
  if (typeof matricule !== 'string' || matricule.length !== 15) {
    throw new InsError('INS_MALFORMED', FIELD, 'must be 15 characters (13 + a 2-digit key)');
  }
  const m = SHAPE.exec(matricule);
  if (!m) {
    throw new InsError(
      'INS_MALFORMED',
      FIELD,
      'must follow the NIR layout: sex digit 1-4/7/8, year, month, department, commune, order, key',
    );
  }
  const [, sexDigit = '', year = '', month = '', dept2 = '', commune3 = '', order = '', key = ''] = m;
  if (!isValidMonth(Number(month))) {
    throw new InsError('INS_MALFORMED', FIELD, 'month must be 01-12, 20, 30-42 or 50-99');
  }
  // 2A/2B only as a whole department; "0A"-like values are not departments.
  if (/[AB]/.test(dept2) && dept2 !== '2A' && dept2 !== '2B') {
    throw new InsError('INS_MALFORMED', FIELD, 'department letters are only allowed as 2A or 2B');
  }
  if (dept2 === '00') {
    throw new InsError('INS_MALFORMED', FIELD, 'department 00 does not exist');
  }
  // Overseas (97x) and 98x: 3-character department, 2-digit commune.
  const overseas = dept2 === '97' || dept2 === '98';
  const department = overseas ? dept2 + commune3.slice(0, 1) : dept2;
  const commune = overseas ? commune3.slice(1) : commune3;
  if (order === '000') {
    throw new InsError('INS_MALFORMED', FIELD, 'order number must be 001-999');
  }
  const keyValue = Number(key);
  if (keyValue < 1 || keyValue > 97) {
    throw new InsError('INS_MALFORMED', FIELD, 'key must be 01-97');
  }
  if (controlKey(matricule.slice(0, 13)) !== keyValue) {
    throw new InsError('INS_KEY_MISMATCH', FIELD, 'key must equal 97 - (first 13 digits mod 97), with 2A=19 and 2B=18');
  }
  const monthNumber = Number(month);
  return {
    sexDigit,
    year,
    month,
    department,
    commune,
    order,
    key,
    sex: ['1', '3', '7'].includes(sexDigit) ? 'M' : 'F',
    monthKnown: monthNumber >= 1 && monthNumber <= 12,
    bornAbroad: department === '99',
  };
}
