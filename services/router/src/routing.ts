import { PasserelleError } from '@passerelle/errors';
import { parseMatricule } from '@passerelle/ins';
import type { RoutingFacts } from '@passerelle/schemas';
import type { Coded, DocumentKind } from '@passerelle/cda';

/**
 * Routing rules (DESIGN §4) as configuration. Pure: no I/O, the same facts and configuration always give the
 * same routes.
 *
 * One route per destination. The patient and the professionals get separate MSSanté messages: the patient's
 * message carries `X-MSS-MES: FIN` (the patient cannot reply) and goes to a Mon espace santé mailbox, and a
 * professional must not see the patient's address in the recipients, nor the patient theirs.
 */

export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  'vaccination-note',
  'dispensation',
  'medication-review',
  'pharmaceutical-interview',
];

/** Which professionals get the document by MSSanté. */
export type ProfessionalsPolicy = 'named' | 'treating-physician' | 'prescriber' | 'none';
export const PROFESSIONALS_POLICIES: readonly ProfessionalsPolicy[] = ['named', 'treating-physician', 'prescriber', 'none'];

export interface KindRouting {
  /** Feed the DMP (still subject to the "never" rules) */
  dmp: boolean;
  /** Send to the patient's Mon espace santé mailbox when the patient asked for it */
  patient: boolean;
  professionals: ProfessionalsPolicy;
}

export type RoutingConfig = Record<DocumentKind, KindRouting>;

/** The table of DESIGN §4. Dispensation → DMP is off: official dispensations may reach the DMP through the DP. */
export const DEFAULT_ROUTING: Readonly<RoutingConfig> = Object.freeze({
  'vaccination-note': { dmp: true, patient: true, professionals: 'named' },
  'medication-review': { dmp: true, patient: true, professionals: 'treating-physician' },
  'pharmaceutical-interview': { dmp: true, patient: true, professionals: 'named' },
  dispensation: { dmp: false, patient: false, professionals: 'prescriber' },
});

/** What the router knows of a signed document: its kind, the event's routing facts, its confidentiality. */
export interface RouteFacts extends RoutingFacts {
  kind: string;
  /** DMP flag INVISIBLE_PATIENT: the patient must not see the document (yet), so no mail to the patient */
  invisibleToPatient?: boolean;
}

export type Route = { kind: 'dmp' } | { kind: 'mss'; to: string[]; audience: 'patient' | 'professionals' };

/** Why a destination the configuration allows was not used: a code, never personal data. */
export type WithheldReason =
  | 'disabled-by-configuration'
  | 'patient-opposed'
  | 'identity-not-qualified'
  | 'pharmacy-not-enrolled'
  | 'patient-did-not-ask'
  | 'invisible-to-patient'
  | 'patient-ins-invalid'
  | 'no-sender-mailbox'
  | 'no-recipient'
  | 'recipient-not-mssante';

export interface Withheld {
  destination: 'dmp' | 'patient' | 'professionals';
  reason: WithheldReason;
}

export interface RoutingDecision {
  routes: Route[];
  withheld: Withheld[];
}

export class RoutingError extends PasserelleError {
  override readonly name = 'RoutingError';
  readonly errorClass = 'permanent';
  constructor(
    readonly code: 'ROUTING_UNKNOWN_KIND' | 'ROUTING_CONFIG_INVALID',
    message: string,
  ) {
    super(message);
  }
}

export const PATIENT_MAILBOX_DOMAIN = 'patient.mssante.fr';

/** The patient's Mon espace santé mailbox: `<matricule INS>@patient.mssante.fr`. */
export function patientMailbox(insMatricule: string): string {
  return `${insMatricule}@${PATIENT_MAILBOX_DOMAIN}`;
}

// A plain addr-spec: no display name, no comments, no spaces. The domain must be an MSSanté one: health data
// must not leave the MSSanté trust space.
const MSSANTE_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@([A-Za-z0-9-]+\.)*mssante\.fr$/;

/** A syntactically valid address in the MSSanté domain (`…mssante.fr`). */
export function isMssanteAddress(address: string): boolean {
  return MSSANTE_ADDRESS.test(address) && !address.startsWith('.') && !address.includes('..');
}

function isDocumentKind(kind: string): kind is DocumentKind {
  return (DOCUMENT_KINDS as readonly string[]).includes(kind);
}

function professionalAddresses(facts: RouteFacts, policy: ProfessionalsPolicy): string[] {
  switch (policy) {
    case 'none':
      return [];
    case 'named':
      return facts.recipients.map((r) => r.mssanteAddress);
    case 'treating-physician':
      return facts.recipients.filter((r) => r.role === 'TREATING_PHYSICIAN').map((r) => r.mssanteAddress);
    case 'prescriber':
      return [
        ...(facts.prescriberMssanteAddress ? [facts.prescriberMssanteAddress] : []),
        ...facts.recipients.filter((r) => r.role === 'PRESCRIBER').map((r) => r.mssanteAddress),
      ];
  }
}

/** Keeps the first spelling of each address, compared without case. */
function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Decides the routes of a document and says why any allowed destination was withheld (for `documents.status`).
 *
 * Never the DMP when the patient opposed, the identity is not qualified or the pharmacy is not enrolled. The
 * patient's mailbox only when the patient asked, the identity is qualified (the address is the INS) and the
 * document is not flagged invisible to the patient. Professional addresses outside the MSSanté domain are
 * dropped. No MSSanté message without the pharmacy's own mailbox to send from.
 *
 * @throws RoutingError ROUTING_UNKNOWN_KIND for a kind the configuration does not know (a permanent error)
 */
export function explainRoutes(facts: RouteFacts, config: Readonly<RoutingConfig> = DEFAULT_ROUTING): RoutingDecision {
  if (!isDocumentKind(facts.kind)) {
    throw new RoutingError('ROUTING_UNKNOWN_KIND', 'metadata.kind is not a document kind the router knows');
  }
  const rules = config[facts.kind];
  const routes: Route[] = [];
  const withheld: Withheld[] = [];
  const withhold = (destination: Withheld['destination'], reason: WithheldReason) => withheld.push({ destination, reason });

  // DMP
  if (!rules.dmp) withhold('dmp', 'disabled-by-configuration');
  else if (facts.dmpOpposition) withhold('dmp', 'patient-opposed');
  else if (!facts.identityQualified) withhold('dmp', 'identity-not-qualified');
  else if (!facts.pharmacyDmpEnrolled) withhold('dmp', 'pharmacy-not-enrolled');
  else routes.push({ kind: 'dmp' });

  const canSend = isMssanteAddress(facts.pharmacyMssanteAddress);

  // Patient
  if (!rules.patient) withhold('patient', 'disabled-by-configuration');
  else if (!facts.mssanteConsent) withhold('patient', 'patient-did-not-ask');
  else if (!facts.identityQualified) withhold('patient', 'identity-not-qualified');
  else if (facts.invisibleToPatient) withhold('patient', 'invisible-to-patient');
  else if (!validMatricule(facts.insMatricule)) withhold('patient', 'patient-ins-invalid');
  else if (!canSend) withhold('patient', 'no-sender-mailbox');
  else routes.push({ kind: 'mss', to: [patientMailbox(facts.insMatricule)], audience: 'patient' });

  // Professionals
  if (rules.professionals === 'none') {
    withhold('professionals', 'disabled-by-configuration');
  } else {
    const candidates = unique(professionalAddresses(facts, rules.professionals));
    const to = candidates.filter(isMssanteAddress).filter((a) => !a.toLowerCase().endsWith(`@${PATIENT_MAILBOX_DOMAIN}`));
    if (to.length < candidates.length) withhold('professionals', 'recipient-not-mssante');
    if (to.length === 0) {
      if (candidates.length === 0) withhold('professionals', 'no-recipient');
    } else if (!canSend) {
      withhold('professionals', 'no-sender-mailbox');
    } else {
      routes.push({ kind: 'mss', to, audience: 'professionals' });
    }
  }
  return { routes, withheld };
}

function validMatricule(matricule: string): boolean {
  try {
    parseMatricule(matricule);
    return true;
  } catch {
    return false;
  }
}

/** The routes of a document (see {@link explainRoutes} for the rules). */
export function decideRoutes(facts: RouteFacts, config: Readonly<RoutingConfig> = DEFAULT_ROUTING): Route[] {
  return explainRoutes(facts, config).routes;
}

/** The router's facts for a signed (or composed) document: its kind and flags from the metadata, the event's facts. */
export function routeFactsOf(document: {
  metadata: { kind: string; confidentialityCodes: readonly Coded[] };
  routing: RoutingFacts;
}): RouteFacts {
  return {
    ...document.routing,
    kind: document.metadata.kind,
    invisibleToPatient: document.metadata.confidentialityCodes.some(
      (c) => c.code === 'INVISIBLE_PATIENT' && c.codeSystem === '1.2.250.1.213.1.1.4.13',
    ),
  };
}

const ENV_PREFIX = 'PASSERELLE_ROUTE_';
const ENV_KIND = (kind: DocumentKind) => kind.toUpperCase().replace(/-/g, '_');
const FIELDS = ['DMP', 'PATIENT', 'PROFESSIONALS'] as const;

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new RoutingError('ROUTING_CONFIG_INVALID', `${name} must be true or false`);
}

/**
 * Loads the routing configuration from the environment, over {@link DEFAULT_ROUTING}:
 * `PASSERELLE_ROUTE_<KIND>_DMP` and `_PATIENT` (`true`/`false`), `PASSERELLE_ROUTE_<KIND>_PROFESSIONALS`
 * (`named`, `treating-physician`, `prescriber`, `none`), with KIND one of VACCINATION_NOTE, DISPENSATION,
 * MEDICATION_REVIEW, PHARMACEUTICAL_INTERVIEW. Fails fast on a bad value or an unknown `PASSERELLE_ROUTE_*`
 * variable (a typo would otherwise silently keep a default).
 *
 * @throws RoutingError ROUTING_CONFIG_INVALID naming the variable and the rule
 */
export function loadRoutingConfig(env: NodeJS.ProcessEnv = process.env): RoutingConfig {
  const config = Object.fromEntries(DOCUMENT_KINDS.map((kind) => [kind, { ...DEFAULT_ROUTING[kind] }])) as RoutingConfig;
  const known = new Set(DOCUMENT_KINDS.flatMap((kind) => FIELDS.map((field) => `${ENV_PREFIX}${ENV_KIND(kind)}_${field}`)));
  for (const name of Object.keys(env)) {
    if (name.startsWith(ENV_PREFIX) && !known.has(name)) {
      throw new RoutingError('ROUTING_CONFIG_INVALID', `${name} is not a routing setting (known: ${[...known].join(', ')})`);
    }
  }
  for (const kind of DOCUMENT_KINDS) {
    const base = `${ENV_PREFIX}${ENV_KIND(kind)}_`;
    const dmp = env[`${base}DMP`];
    if (dmp !== undefined) config[kind].dmp = parseBoolean(`${base}DMP`, dmp.trim());
    const patient = env[`${base}PATIENT`];
    if (patient !== undefined) config[kind].patient = parseBoolean(`${base}PATIENT`, patient.trim());
    const professionals = env[`${base}PROFESSIONALS`]?.trim();
    if (professionals !== undefined) {
      if (!(PROFESSIONALS_POLICIES as readonly string[]).includes(professionals)) {
        throw new RoutingError('ROUTING_CONFIG_INVALID', `${base}PROFESSIONALS must be one of ${PROFESSIONALS_POLICIES.join(', ')}`);
      }
      config[kind].professionals = professionals as ProfessionalsPolicy;
    }
  }
  return config;
}
