/**
 * The national identifiers of health professionals and organisations (REFERENCE §3), their shapes and how documents
 * write them: the one home of these rules (events are checked, documents written and certificates read with them).
 */

/** The OIDs of the national identifiers: persons (`8` + RPPS) and organisations (`1` + FINESS). */
export const NATIONAL_ID_OID = {
  /** Identifiant national de professionnel de santé: `8` + RPPS number */
  PERSON: '1.2.250.1.71.4.2.1',
  /** Identifiant national de structure: `1` + FINESS number */
  ORGANISATION: '1.2.250.1.71.4.2.2',
} as const;

/** FINESS: 9 characters, the first two the department (2A/2B in Corsica). */
export const FINESS_PATTERN = /^(?:\d{2}|2A|2B)\d{7}$/;
/** RPPS: 11 digits. */
export const RPPS_PATTERN = /^\d{11}$/;

export const isFiness = (value: string): boolean => FINESS_PATTERN.test(value);
export const isRpps = (value: string): boolean => RPPS_PATTERN.test(value);

/** The national id of an organisation: `1` + FINESS. */
export const organisationId = (finess: string): string => `1${finess}`;
/** The national id of a professional: `8` + RPPS. */
export const professionalId = (rpps: string): string => `8${rpps}`;

/** The FINESS of an organisation's national id (`1` + FINESS), or undefined when it is not one. */
export function finessOfOrganisationId(id: string): string | undefined {
  return id.startsWith('1') && isFiness(id.slice(1)) ? id.slice(1) : undefined;
}
