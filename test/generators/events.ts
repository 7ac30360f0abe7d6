/**
 * Generated LGO events for property-based and conformance tests, and for load tools.
 *
 * Every event is valid against its Avro schema and carries a valid, qualified INS: the matricule's key is
 * computed here (independently of @passerelle/ins, which the tests use as an oracle), its sex digit, year,
 * month and department agree with the sex, birth date and INSEE birth place. Identities cover NIR births in
 * mainland France, overseas (97x), Corsica (2A/2B, and department 20 before 1976), abroad (department 99,
 * birth place 99xxx) and NIA numbers. Names carry accents, apostrophes, hyphens, several given names and XML
 * metacharacters; every nullable field is sometimes null and sometimes set.
 *
 * Two entry points share one deterministic builder driven by a seeded PRNG:
 * - fast-check arbitraries (`vaccinationEventArb`…), for property tests (they shrink over the seed only);
 * - `generateEvents(n, seed)`, a plain generator for the conformance suite and load tools.
 */
import fc from 'fast-check';
import type {
  Address,
  Confidentiality,
  Correction,
  DispensationEvent,
  DispensationLine,
  EventTopic,
  LgoEvent,
  MedicationReviewEvent,
  Patient,
  Pharmacist,
  Pharmacy,
  Recipient,
  ReviewKind,
  VaccinationEvent,
} from '@passerelle/schemas';

/** A small deterministic PRNG (mulberry32): same seed, same events. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  bool(pTrue = 0.5): boolean {
    return this.next() < pTrue;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  /** The value or null, each about half the time. */
  maybe<T>(make: () => T, pPresent = 0.5): T | null {
    return this.bool(pPresent) ? make() : null;
  }
  digits(count: number): string {
    let s = '';
    for (let i = 0; i < count; i++) s += String(this.int(0, 9));
    return s;
  }
  uuid(): string {
    const hex = (n: number) => Array.from({ length: n }, () => this.int(0, 15).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Identity

/** Where the patient was born, as the INS matricule encodes it. */
export const IDENTITY_KINDS = ['nir-mainland', 'nir-overseas', 'nir-corsica', 'nir-corsica-before-1976', 'nir-abroad', 'nia'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Production INS OIDs (REFERENCE §4). */
export const INS_NIR_OID = '1.2.250.1.213.1.4.8';
export const INS_NIA_OID = '1.2.250.1.213.1.4.9';

/** The matricule key: 97 − (first 13 digits mod 97), with 2A → 19 and 2B → 18. */
export function insKey(first13: string): string {
  const digits = first13.slice(0, 5) + first13.slice(5, 7).replace('2A', '19').replace('2B', '18') + first13.slice(7);
  if (!/^\d{13}$/.test(digits)) throw new Error('insKey: 13 digits expected');
  return String(97 - (Number(digits) % 97)).padStart(2, '0');
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The five strict traits and the INS, consistent with each other. */
export interface GeneratedIdentity {
  matricule: string;
  oid: string;
  sex: 'F' | 'M';
  birthDate: string;
  birthPlace: string;
}

/** Countries of birth (INSEE codes 99xxx, without the 99). */
const COUNTRIES = ['100', '109', '127', '131', '134', '139', '212', '216', '350', '351', '352', '404', '432'];
const MAINLAND_DEPARTMENTS = Array.from({ length: 95 }, (_, i) => pad(i + 1, 2)).filter((d) => d !== '20');
const OVERSEAS_DEPARTMENTS = ['971', '972', '973', '974', '976'];

/** A qualified INS identity of the given kind (random kind when absent). */
export function generateIdentity(rng: Rng, kind: IdentityKind = rng.pick(IDENTITY_KINDS)): GeneratedIdentity {
  const sex = rng.pick(['F', 'M'] as const);
  const year =
    kind === 'nir-corsica-before-1976' ? rng.int(1930, 1975) : kind === 'nir-corsica' ? rng.int(1976, 2023) : rng.int(1925, 2023);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  const birthDate = `${year}-${pad(month, 2)}-${pad(day, 2)}`;
  let sexDigit = sex === 'M' ? '1' : '2';
  let nirMonth = pad(month, 2);
  let department: string;
  let commune: string;
  let birthPlace: string;
  switch (kind) {
    case 'nir-mainland':
      department = rng.pick(MAINLAND_DEPARTMENTS);
      commune = pad(rng.int(1, 899), 3);
      birthPlace = department + commune;
      break;
    case 'nir-overseas':
      department = rng.pick(OVERSEAS_DEPARTMENTS);
      commune = pad(rng.int(1, 34), 2);
      birthPlace = department + commune;
      break;
    case 'nir-corsica':
      department = rng.pick(['2A', '2B']);
      commune = pad(rng.int(1, 366), 3);
      birthPlace = department + commune;
      break;
    case 'nir-corsica-before-1976':
      // Registered before the split of Corsica: the matricule keeps 20, the birth place is today's 2A/2B code.
      department = '20';
      commune = pad(rng.int(1, 366), 3);
      birthPlace = rng.pick(['2A', '2B']) + commune;
      break;
    case 'nir-abroad':
      department = '99';
      commune = rng.pick(COUNTRIES);
      birthPlace = `99${commune}`;
      break;
    case 'nia':
      // NIA: a waiting number for a person being registered, mostly born abroad; temporary sex digits 7/8
      // and, on declarative documents, sometimes an unknown month (50 and above).
      sexDigit = rng.bool() ? (sex === 'M' ? '7' : '8') : sexDigit;
      if (rng.bool(0.3)) nirMonth = String(rng.int(50, 99));
      department = '99';
      commune = rng.pick(COUNTRIES);
      birthPlace = `99${commune}`;
      break;
  }
  const first13 = `${sexDigit}${pad(year % 100, 2)}${nirMonth}${department}${commune}${pad(rng.int(1, 999), 3)}`;
  return {
    matricule: first13 + insKey(first13),
    oid: kind === 'nia' ? INS_NIA_OID : INS_NIR_OID,
    sex,
    birthDate,
    birthPlace,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Names and free text

/** How hostile a name is to naive XML building. */
export const NAME_STYLES = ['plain', 'accents', 'apostrophe', 'hyphen', 'xml-metacharacters'] as const;
export type NameStyle = (typeof NAME_STYLES)[number];

const FAMILY: Record<NameStyle, readonly string[]> = {
  plain: ['MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'PETIT', 'DURAND', 'LEROY', 'MOREAU', 'LE GALL'],
  accents: ['LEFÈVRE', 'BÉRANGER', 'NOËL', 'GARÇON', 'MÉNARD', 'CHÂTEAU', 'Lefèvre', 'Pérès'],
  apostrophe: ["D'ARTAGNAN", "N'DIAYE", "O'BRIEN", "DE L'ESPINAY", "D'Ormesson"],
  hyphen: ['DUPONT-MORETTI', 'SAINT-EXUPÉRY', 'MARTIN-LUTHER', 'GIRAUD-PÉRÈS'],
  'xml-metacharacters': ['</family><x>', "O'Brien & Fils", 'DE "LA" TOUR', 'A<B', ']]>MARTIN', 'SMITH &amp; CO'],
};
const GIVEN: Record<NameStyle, readonly string[]> = {
  plain: ['JEAN', 'MARIE', 'PAUL', 'ANNE', 'LUC', 'CLAIRE', 'PIERRE', 'SOPHIE'],
  accents: ['HÉLÈNE', 'FRANÇOIS', 'ZOË', 'JOËL', 'ANAÏS', 'JÉRÔME', 'Élodie'],
  apostrophe: ["M'BAREK", "D'JAMILA"],
  hyphen: ['JEAN-PIERRE', 'ANNE-SOPHIE', 'MARIE-THÉRÈSE', 'JEAN-BAPTISTE'],
  'xml-metacharacters': ['<given>', 'A&B', '"ZOÉ"', ']]>', "L'<É>"],
};

function familyName(rng: Rng, style: NameStyle): string {
  return rng.pick(FAMILY[style]);
}

/** One to four birth given names (the first one in the requested style). */
function givenNames(rng: Rng, style: NameStyle): string[] {
  const names = [rng.pick(GIVEN[style])];
  const more = rng.pick([0, 0, 1, 1, 2, 3]);
  for (let i = 0; i < more; i++) names.push(rng.pick(GIVEN[rng.pick(NAME_STYLES)]));
  return names;
}

const FREE_TEXT = [
  'Patient informé, pas de réaction immédiate.',
  "Surveillance 15 min : RAS, l'injection s'est bien passée.",
  'Dose < 1 mL & rappel à J+28 — voir "carnet".',
  'Texte avec ]]> et </text><x/> dedans.',
  'Allergie à l’œuf déclarée ; vaccin sans œuf utilisé.',
];

// ---------------------------------------------------------------------------------------------------------------
// Event parts

/** The Luhn check digit that completes `body` (RPPS, FINESS, SIRET use it). */
export function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** An EAN-13 check digit (CIP13, UCD13). */
function ean13(body12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[i]) * (i % 2 === 0 ? 1 : 3);
  return body12 + String((10 - (sum % 10)) % 10);
}

const rpps = (rng: Rng): string => {
  const body = `10${rng.digits(8)}`;
  return body + luhnDigit(body);
};
const finess = (rng: Rng): string => {
  const body = `${rng.pick(['75', '13', '69', '33', '06', '97'])}0${rng.digits(5)}`;
  return body + luhnDigit(body);
};
const cip13 = (rng: Rng): string => ean13(`34009${rng.digits(7)}`);
const ucd13 = (rng: Rng): string => ean13(`34008${rng.digits(7)}`);

function isoDate(rng: Rng, from: number, to: number): string {
  const day = rng.int(0, Math.floor((to - from) / 86_400_000));
  return new Date(from + day * 86_400_000).toISOString().slice(0, 10);
}
const CARE_FROM = Date.UTC(2024, 0, 1);
const CARE_TO = Date.UTC(2025, 10, 30);

function address(rng: Rng): Address {
  const lines = [rng.pick(["12 place d'Italie", '3 rue de la Paix', '45 avenue Jean-Jaurès', '1 bis rue des Écoles <B>'])];
  if (rng.bool(0.3)) lines.push(rng.pick(['Bâtiment A', 'Centre commercial "Les Halles"', 'BP 12 & 14']));
  return {
    lines,
    postalCode: rng.pick(['75013', '13001', '69002', '20000', '97200', '33000']),
    city: rng.pick(['PARIS', 'MARSEILLE', 'LYON', 'AJACCIO', 'FORT-DE-FRANCE', "L'ÎLE-ROUSSE"]),
    country: 'FR',
  };
}

function pharmacy(rng: Rng): Pharmacy {
  return {
    finess: finess(rng),
    name: rng.pick([
      'Pharmacie de la Place',
      "Pharmacie de l'Église",
      "Pharmacie O'Brien & Fils",
      'Pharmacie <Centrale>',
      'Grande Pharmacie "du Marché"',
    ]),
    address: address(rng),
    telecom: rng.maybe(() => `+33 ${rng.int(1, 5)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)}`),
    mssanteAddress: `officine.${rng.digits(4)}@pharmacie-${rng.digits(3)}.mssante.fr`,
    dmpEnrolled: rng.bool(0.8),
  };
}

function pharmacist(rng: Rng): Pharmacist {
  const style = rng.pick(NAME_STYLES);
  return {
    rpps: rpps(rng),
    familyName: familyName(rng, style),
    givenName: rng.pick(GIVEN[style]),
    role: rng.pick(['PHARMACIEN', 'TITULAIRE'] as const),
  };
}

/** Options that force the interesting classes (the plain generator cycles through them). */
export interface PatientOptions {
  identityKind?: IdentityKind;
  nameStyle?: NameStyle;
}

function patient(rng: Rng, options: PatientOptions = {}): Patient {
  const identity = generateIdentity(rng, options.identityKind);
  const style = options.nameStyle ?? rng.pick(NAME_STYLES);
  const given = givenNames(rng, style);
  return {
    localId: `LGO-P-${rng.digits(6)}`,
    ins: { matricule: identity.matricule, oid: identity.oid },
    birthFamilyName: familyName(rng, style),
    birthGivenNames: given.join(' '),
    firstGivenName: given[0] ?? '',
    birthDate: identity.birthDate,
    sex: identity.sex,
    birthPlace: identity.birthPlace,
    usedFamilyName: rng.maybe(() => familyName(rng, rng.pick(NAME_STYLES)), 0.3),
    usedGivenName: rng.maybe(() => rng.pick(GIVEN[rng.pick(NAME_STYLES)]), 0.3),
    identityStatus: 'QUALIFIEE',
    dmpOpposition: rng.bool(0.1),
    mssanteConsent: rng.bool(0.7),
  };
}

function recipients(rng: Rng): Recipient[] {
  return Array.from({ length: rng.pick([0, 1, 1, 2]) }, () => ({
    mssanteAddress: `dr.${rng.digits(4)}@medecin.mssante.fr`,
    role: rng.pick(['TREATING_PHYSICIAN', 'PRESCRIBER', 'OTHER_PROFESSIONAL'] as const),
    rpps: rng.maybe(() => rpps(rng)),
    displayName: rng.maybe(() => `Dr ${rng.pick(GIVEN.plain)} ${familyName(rng, rng.pick(NAME_STYLES))}`),
  }));
}

function confidentiality(rng: Rng): Confidentiality {
  return {
    level: rng.pick(['N', 'N', 'R', 'V'] as const),
    maskedFromProfessionals: rng.bool(0.2),
    invisibleToPatient: rng.bool(0.1),
    invisibleToLegalRepresentatives: rng.bool(0.1),
  };
}

function correction(rng: Rng): Correction | null {
  return rng.maybe(() => {
    const versionNumber = rng.int(2, 4);
    const originalEventId = rng.uuid();
    return { originalEventId, replacedEventId: versionNumber === 2 ? originalEventId : rng.uuid(), versionNumber };
  }, 0.25);
}

/** What every event family shares. */
function envelope(rng: Rng, careDate: string, options: PatientOptions) {
  return {
    eventId: rng.uuid(),
    // On the day of care, during opening hours (Paris time is UTC+1/+2).
    occurredAt: Date.parse(`${careDate}T00:00:00Z`) + rng.int(7, 18) * 3_600_000 + rng.int(0, 3_599_999),
    correction: correction(rng),
    pharmacy: pharmacy(rng),
    author: pharmacist(rng),
    patient: patient(rng, options),
    recipients: recipients(rng),
    confidentiality: confidentiality(rng),
  };
}

const VACCINES = [
  {
    cis: '60219405',
    atc: 'J07BB02',
    atcLabel: 'influenza, inactivated, split virus or surface antigen',
    label: 'VAXIGRIPTETRA, suspension injectable en seringue préremplie',
  },
  { cis: '63417364', atc: 'J07BX03', atcLabel: 'covid-19 vaccines', label: 'COMIRNATY JN.1 30 µg/dose, dispersion injectable' },
  {
    cis: '64563466',
    atc: 'J07AL02',
    atcLabel: 'pneumococcus, purified polysaccharides antigen conjugated',
    label: 'PREVENAR 20, suspension injectable',
  },
  {
    cis: '68797316',
    atc: 'J07CA01',
    atcLabel: 'diphtheria-poliomyelitis-tetanus',
    label: 'REVAXIS, suspension injectable — "rappel" dTP & co',
  },
  {
    cis: '61916458',
    atc: 'J07BM03',
    atcLabel: 'papillomavirus (human types 6, 11, 16, 18, 31, 33, 45, 52, 58)',
    label: 'GARDASIL 9 <seringue>',
  },
];

/** A vaccination event (→ VAC-NOTE). */
export function vaccinationEvent(rng: Rng, options: PatientOptions = {}): VaccinationEvent {
  const administeredAt = isoDate(rng, CARE_FROM, CARE_TO);
  return {
    ...envelope(rng, administeredAt, options),
    vaccination: {
      vaccine: rng.pick(VACCINES),
      lotNumber: `${rng.pick(['X', 'FK', 'AB'])}${rng.digits(4)}${rng.pick(['', 'V', '-B'])}`,
      doseNumber: rng.maybe(() => rng.int(1, 4)),
      doseQuantity: rng.maybe(() => ({ value: rng.pick([0.5, 0.3, 0.2, 1]), unit: 'mL' })),
      route: rng.maybe(() => rng.pick(['IM', 'SC', 'ID', 'NASINHL'])),
      site: rng.maybe(() => rng.pick(['LA', 'RA', 'LD', 'RD', 'LT', 'RT'])),
      administeredAt,
      comment: rng.maybe(() => rng.pick(FREE_TEXT)),
    },
  };
}

const PRODUCTS = [
  'DOLIPRANE 1000 mg, comprimé',
  'AMOXICILLINE BIOGARAN 1 g, comprimé dispersible',
  'KARDEGIC 75 mg, poudre pour solution buvable en sachet',
  'VENTOLINE 100 µg/dose, suspension pour inhalation',
  'LEVOTHYROX 75 µg <comprimé sécable>',
  "Préparation magistrale : crème à l'urée 10 % & vaseline",
];

function dispensationLine(rng: Rng): DispensationLine {
  return {
    product: {
      cip13: rng.maybe(() => cip13(rng), 0.7),
      ucd: rng.maybe(() => ucd13(rng), 0.3),
      label: rng.pick(PRODUCTS),
    },
    quantity: rng.bool(0.8)
      ? { value: rng.int(1, 3), unit: '{boite}' }
      : { value: rng.pick([10, 28, 30, 2.5]), unit: rng.pick(['{comprimé}', 'mL', 'g']) },
    posology: rng.maybe(() =>
      rng.pick(['1 comprimé matin et soir', "2 bouffées en cas d'essoufflement", '1 sachet le midi, < 3 par jour & avec eau']),
    ),
    substitution: rng.pick(['NONE', 'GENERIC', 'THERAPEUTIC'] as const),
  };
}

/** A dispensation event (→ eDISP-MED). */
export function dispensationEvent(rng: Rng, options: PatientOptions = {}): DispensationEvent {
  const dispensedAt = isoDate(rng, CARE_FROM, CARE_TO);
  const prescriberStyle = rng.pick(NAME_STYLES);
  return {
    ...envelope(rng, dispensedAt, options),
    dispensation: {
      dispensedAt,
      prescription: rng.maybe(() => ({
        ePrescriptionId: rng.maybe(() => `${rng.digits(2)}R${rng.digits(4)}QK${rng.digits(2)}`),
        prescribedAt: rng.maybe(() => isoDate(rng, Date.parse(dispensedAt) - 90 * 86_400_000, Date.parse(dispensedAt))),
        prescriber: {
          rpps: rpps(rng),
          familyName: familyName(rng, prescriberStyle),
          givenName: rng.pick(GIVEN[prescriberStyle]),
          mssanteAddress: rng.maybe(() => `prescripteur.${rng.digits(4)}@medecin.mssante.fr`),
        },
      })),
      lines: Array.from({ length: rng.int(1, 4) }, () => dispensationLine(rng)),
    },
  };
}

/** A medication review or pharmaceutical interview event (→ 56445-0 / 78601-2). */
export function medicationReviewEvent(rng: Rng, options: PatientOptions & { kind?: ReviewKind } = {}): MedicationReviewEvent {
  const performedAt = isoDate(rng, CARE_FROM, CARE_TO);
  const kind = options.kind ?? rng.pick(['BILAN_PARTAGE_MEDICATION', 'ENTRETIEN_PHARMACEUTIQUE'] as const);
  const list = (items: readonly string[]) => Array.from({ length: rng.int(0, 3) }, () => rng.pick(items));
  return {
    ...envelope(rng, performedAt, options),
    review: {
      kind,
      topic:
        kind === 'ENTRETIEN_PHARMACEUTIQUE'
          ? rng.maybe(() => rng.pick(['Anticoagulants oraux (AOD)', 'Asthme', 'Femme enceinte & médicaments <grossesse>']), 0.8)
          : rng.maybe(() => 'Polymédication', 0.2),
      performedAt,
      medications: Array.from({ length: rng.int(0, 5) }, () => ({
        label: rng.pick(PRODUCTS),
        cip13: rng.maybe(() => cip13(rng)),
        posology: rng.maybe(() => rng.pick(['1 comprimé le soir', '1 sachet le midi'])),
        comment: rng.maybe(() => rng.pick(FREE_TEXT)),
      })),
      findings: list([
        "Oedèmes possiblement liés à l'amlodipine",
        'IPP au long cours sans indication < 8 semaines',
        'Observance "irrégulière" & oublis',
      ]),
      recommendations: list(["Réévaluer l'indication de l'oméprazole", 'Contrôler l’INR à J+7', 'Arrêt </recommendation> progressif']),
      conclusion: rng.maybe(() => rng.pick(['Bilan partagé avec le médecin traitant.', 'Entretien à renouveler dans 6 mois & suivi.'])),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// fast-check arbitraries

/** Seeds drive the builders: a failing case is reproducible from its seed. */
const seedArb = fc.integer({ min: 0, max: 0x7fffffff });
const patientOptionsArb: fc.Arbitrary<PatientOptions> = fc.record({
  identityKind: fc.constantFrom(...IDENTITY_KINDS),
  nameStyle: fc.constantFrom(...NAME_STYLES),
});

export const identityArb: fc.Arbitrary<GeneratedIdentity> = fc
  .tuple(seedArb, fc.constantFrom(...IDENTITY_KINDS))
  .map(([seed, kind]) => generateIdentity(new Rng(seed), kind));

export const vaccinationEventArb: fc.Arbitrary<VaccinationEvent> = fc
  .tuple(seedArb, patientOptionsArb)
  .map(([seed, options]) => vaccinationEvent(new Rng(seed), options));

export const dispensationEventArb: fc.Arbitrary<DispensationEvent> = fc
  .tuple(seedArb, patientOptionsArb)
  .map(([seed, options]) => dispensationEvent(new Rng(seed), options));

export const medicationReviewEventArb: fc.Arbitrary<MedicationReviewEvent> = fc
  .tuple(seedArb, patientOptionsArb, fc.constantFrom<ReviewKind>('BILAN_PARTAGE_MEDICATION', 'ENTRETIEN_PHARMACEUTIQUE'))
  .map(([seed, options, kind]) => medicationReviewEvent(new Rng(seed), { ...options, kind }));

/** Any LGO event with its topic. */
export const lgoEventArb: fc.Arbitrary<LgoEvent> = fc.oneof(
  vaccinationEventArb.map((event) => ({ topic: 'lgo.vaccination.v1' as const, event })),
  dispensationEventArb.map((event) => ({ topic: 'lgo.dispensation.v1' as const, event })),
  medicationReviewEventArb.map((event) => ({ topic: 'lgo.medication-review.v1' as const, event })),
);

// ---------------------------------------------------------------------------------------------------------------
// Plain seeded generator

/** The four document types, as (topic, review kind) pairs. */
export const EVENT_SHAPES = [
  { topic: 'lgo.vaccination.v1' },
  { topic: 'lgo.dispensation.v1' },
  { topic: 'lgo.medication-review.v1', kind: 'BILAN_PARTAGE_MEDICATION' },
  { topic: 'lgo.medication-review.v1', kind: 'ENTRETIEN_PHARMACEUTIQUE' },
] as const satisfies readonly { topic: EventTopic; kind?: ReviewKind }[];
export type EventShape = (typeof EVENT_SHAPES)[number];

/**
 * The i-th event of a shape: identity kinds and name styles cycle with i, so any run of
 * IDENTITY_KINDS × NAME_STYLES (30) consecutive events covers every combination.
 */
export function generateEvent(shape: EventShape, rng: Rng, i: number): LgoEvent {
  const options: PatientOptions = {
    identityKind: IDENTITY_KINDS[i % IDENTITY_KINDS.length],
    nameStyle: NAME_STYLES[Math.floor(i / IDENTITY_KINDS.length) % NAME_STYLES.length],
  };
  switch (shape.topic) {
    case 'lgo.vaccination.v1':
      return { topic: shape.topic, event: vaccinationEvent(rng, options) };
    case 'lgo.dispensation.v1':
      return { topic: shape.topic, event: dispensationEvent(rng, options) };
    case 'lgo.medication-review.v1':
      return { topic: shape.topic, event: medicationReviewEvent(rng, { ...options, kind: shape.kind }) };
  }
}

/**
 * `n` events from `seed`, deterministic, spread evenly over the four document types (or only `shapes`).
 * Needs no fast-check runner: usable by load tools.
 */
export function generateEvents(n: number, seed: number, shapes: readonly EventShape[] = EVENT_SHAPES): LgoEvent[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const shape = shapes[i % shapes.length] ?? EVENT_SHAPES[0];
    return generateEvent(shape, rng, Math.floor(i / shapes.length));
  });
}
