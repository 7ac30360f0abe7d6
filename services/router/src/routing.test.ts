import {
  decideRoutes,
  DEFAULT_ROUTING,
  explainRoutes,
  isMssanteAddress,
  loadRoutingConfig,
  patientMailbox,
  routeFactsOf,
  RoutingError,
  type Route,
  type RouteFacts,
  type RoutingConfig,
} from './routing';

const PATIENT = '279035121518989@patient.mssante.fr';
const PHYSICIAN = 'jean.dupont@medecin.mssante.fr';
const NURSE = 'ide.martin@infirmier.mssante.fr';
const PRESCRIBER = 'dr.prescriber@cabinet.mssante.fr';

function facts(overrides: Partial<RouteFacts> = {}): RouteFacts {
  return {
    kind: 'vaccination-note',
    insMatricule: '279035121518989',
    mssanteConsent: true,
    dmpOpposition: false,
    identityQualified: true,
    pharmacyDmpEnrolled: true,
    pharmacyMssanteAddress: 'pharmacie.italie@pharmacie-italie.mssante.fr',
    pharmacyName: "Pharmacie de la Place d'Italie",
    recipients: [
      { mssanteAddress: PHYSICIAN, role: 'TREATING_PHYSICIAN' },
      { mssanteAddress: NURSE, role: 'OTHER_PROFESSIONAL' },
    ],
    prescriberMssanteAddress: PRESCRIBER,
    ...overrides,
  };
}

const dmp: Route = { kind: 'dmp' };
const patient: Route = { kind: 'mss', to: [PATIENT], audience: 'patient' };
const pros = (...to: string[]): Route => ({ kind: 'mss', to, audience: 'professionals' });

describe('decideRoutes with the defaults of DESIGN §4', () => {
  it.each<[string, Partial<RouteFacts>, Route[]]>([
    // vaccination note: DMP, patient if asked, the named recipients
    ['vaccination note, patient asked', { kind: 'vaccination-note' }, [dmp, patient, pros(PHYSICIAN, NURSE)]],
    ['vaccination note, patient did not ask', { kind: 'vaccination-note', mssanteConsent: false }, [dmp, pros(PHYSICIAN, NURSE)]],
    ['vaccination note, no recipient named', { kind: 'vaccination-note', recipients: [] }, [dmp, patient]],
    // medication review: DMP, patient if asked, the treating physician only
    ['medication review, patient asked', { kind: 'medication-review' }, [dmp, patient, pros(PHYSICIAN)]],
    ['medication review, patient did not ask', { kind: 'medication-review', mssanteConsent: false }, [dmp, pros(PHYSICIAN)]],
    [
      'medication review, no treating physician named',
      { kind: 'medication-review', recipients: [{ mssanteAddress: NURSE, role: 'OTHER_PROFESSIONAL' }] },
      [dmp, patient],
    ],
    // pharmaceutical interview: DMP, patient if asked, the named recipients
    ['pharmaceutical interview, patient asked', { kind: 'pharmaceutical-interview' }, [dmp, patient, pros(PHYSICIAN, NURSE)]],
    [
      'pharmaceutical interview, patient did not ask',
      { kind: 'pharmaceutical-interview', mssanteConsent: false },
      [dmp, pros(PHYSICIAN, NURSE)],
    ],
    // dispensation: no DMP by default, never the patient, the prescriber if named
    ['dispensation with a prescriber', { kind: 'dispensation' }, [pros(PRESCRIBER)]],
    ['dispensation without a prescriber', { kind: 'dispensation', prescriberMssanteAddress: null }, []],
    [
      'dispensation, prescriber named among the recipients',
      {
        kind: 'dispensation',
        prescriberMssanteAddress: null,
        recipients: [
          { mssanteAddress: PRESCRIBER, role: 'PRESCRIBER' },
          { mssanteAddress: PHYSICIAN, role: 'TREATING_PHYSICIAN' },
        ],
      },
      [pros(PRESCRIBER)],
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(decideRoutes(facts(overrides))).toEqual(expected);
  });

  it('sends the patient and the professionals separate messages', () => {
    const routes = decideRoutes(facts());
    const mss = routes.filter((r) => r.kind === 'mss');
    expect(mss).toHaveLength(2);
    for (const route of mss) {
      if (route.audience === 'professionals') expect(route.to).not.toContain(PATIENT);
      else expect(route.to).toEqual([PATIENT]);
    }
  });
});

describe('the "never" rules', () => {
  const allOn: RoutingConfig = {
    'vaccination-note': { dmp: true, patient: true, professionals: 'named' },
    'medication-review': { dmp: true, patient: true, professionals: 'named' },
    'pharmaceutical-interview': { dmp: true, patient: true, professionals: 'named' },
    dispensation: { dmp: true, patient: true, professionals: 'named' },
  };
  const kinds = ['vaccination-note', 'medication-review', 'pharmaceutical-interview', 'dispensation'];

  describe.each(kinds)('%s', (kind) => {
    it.each<[string, Partial<RouteFacts>, string]>([
      ['the patient opposed', { dmpOpposition: true }, 'patient-opposed'],
      ['the identity is not qualified', { identityQualified: false }, 'identity-not-qualified'],
      ['the pharmacy is not enrolled', { pharmacyDmpEnrolled: false }, 'pharmacy-not-enrolled'],
    ])('never the DMP when %s, even when configured on', (_name, overrides, reason) => {
      const decision = explainRoutes(facts({ kind, ...overrides }), allOn);
      expect(decision.routes).not.toContainEqual(dmp);
      expect(decision.withheld).toContainEqual({ destination: 'dmp', reason });
    });

    it('never the patient mailbox when the identity is not qualified (the address is the INS)', () => {
      const decision = explainRoutes(facts({ kind, identityQualified: false }), allOn);
      expect(decision.routes.some((r) => r.kind === 'mss' && r.audience === 'patient')).toBe(false);
      expect(decision.withheld).toContainEqual({ destination: 'patient', reason: 'identity-not-qualified' });
    });

    it('never the patient mailbox when the patient did not ask', () => {
      const decision = explainRoutes(facts({ kind, mssanteConsent: false }), allOn);
      expect(decision.routes.some((r) => r.kind === 'mss' && r.audience === 'patient')).toBe(false);
      expect(decision.withheld).toContainEqual({ destination: 'patient', reason: 'patient-did-not-ask' });
    });

    it('never the patient mailbox when the document is invisible to the patient', () => {
      const decision = explainRoutes(facts({ kind, invisibleToPatient: true }), allOn);
      expect(decision.routes.some((r) => r.kind === 'mss' && r.audience === 'patient')).toBe(false);
      expect(decision.withheld).toContainEqual({ destination: 'patient', reason: 'invisible-to-patient' });
    });
  });

  it('never the patient mailbox for a dispensation with the defaults, even when the patient asked', () => {
    const decision = explainRoutes(facts({ kind: 'dispensation', mssanteConsent: true }));
    expect(decision.withheld).toContainEqual({ destination: 'patient', reason: 'disabled-by-configuration' });
    expect(decision.withheld).toContainEqual({ destination: 'dmp', reason: 'disabled-by-configuration' });
  });

  it('the opposition to the DMP does not stop the MSSanté messages', () => {
    expect(decideRoutes(facts({ dmpOpposition: true }))).toEqual([patient, pros(PHYSICIAN, NURSE)]);
  });

  it('never an MSSanté message without the pharmacy mailbox to send from', () => {
    const decision = explainRoutes(facts({ pharmacyMssanteAddress: '' }));
    expect(decision.routes).toEqual([dmp]);
    expect(decision.withheld).toEqual(
      expect.arrayContaining([
        { destination: 'patient', reason: 'no-sender-mailbox' },
        { destination: 'professionals', reason: 'no-sender-mailbox' },
      ]),
    );
  });

  it('never a professional address outside MSSanté, nor the patient mailbox among the professionals', () => {
    const decision = explainRoutes(
      facts({
        recipients: [
          { mssanteAddress: 'jean.dupont@gmail.com', role: 'TREATING_PHYSICIAN' },
          { mssanteAddress: PATIENT, role: 'OTHER_PROFESSIONAL' },
          { mssanteAddress: PHYSICIAN, role: 'TREATING_PHYSICIAN' },
          { mssanteAddress: PHYSICIAN.toUpperCase(), role: 'OTHER_PROFESSIONAL' },
        ],
      }),
    );
    expect(decision.routes).toContainEqual(pros(PHYSICIAN));
    expect(decision.withheld).toContainEqual({ destination: 'professionals', reason: 'recipient-not-mssante' });
  });

  it('withholds the patient route when the INS matricule is malformed', () => {
    const decision = explainRoutes(facts({ insMatricule: '279035121518988' }));
    expect(decision.withheld).toContainEqual({ destination: 'patient', reason: 'patient-ins-invalid' });
  });

  it('refuses a kind it does not know', () => {
    expect(() => decideRoutes(facts({ kind: 'prescription' }))).toThrow(expect.objectContaining({ code: 'ROUTING_UNKNOWN_KIND' }));
  });
});

describe('configuration', () => {
  it('turns dispensation → DMP on, and changes a professionals policy', () => {
    const config = loadRoutingConfig({
      PASSERELLE_ROUTE_DISPENSATION_DMP: 'true',
      PASSERELLE_ROUTE_MEDICATION_REVIEW_PROFESSIONALS: 'named',
      PASSERELLE_ROUTE_VACCINATION_NOTE_PATIENT: 'false',
      PASSERELLE_OTHER_SETTING: 'ignored',
    });
    expect(config.dispensation).toEqual({ dmp: true, patient: false, professionals: 'prescriber' });
    expect(config['medication-review'].professionals).toBe('named');
    expect(config['vaccination-note'].patient).toBe(false);
    expect(config['pharmaceutical-interview']).toEqual(DEFAULT_ROUTING['pharmaceutical-interview']);
    expect(decideRoutes(facts({ kind: 'dispensation' }), config)).toEqual([dmp, pros(PRESCRIBER)]);
    // the defaults are not modified by loading
    expect(DEFAULT_ROUTING.dispensation.dmp).toBe(false);
  });

  it('gives the defaults with no variable set', () => {
    expect(loadRoutingConfig({})).toEqual(DEFAULT_ROUTING);
  });

  it.each([
    ['PASSERELLE_ROUTE_DISPENSATION_DMP', 'yes', 'PASSERELLE_ROUTE_DISPENSATION_DMP must be true or false'],
    ['PASSERELLE_ROUTE_VACCINATION_NOTE_PATIENT', '', 'PASSERELLE_ROUTE_VACCINATION_NOTE_PATIENT must be true or false'],
    ['PASSERELLE_ROUTE_MEDICATION_REVIEW_PROFESSIONALS', 'everyone', 'must be one of named, treating-physician, prescriber, none'],
    ['PASSERELLE_ROUTE_DISPENSATIONS_DMP', 'true', 'PASSERELLE_ROUTE_DISPENSATIONS_DMP is not a routing setting'],
  ])('fails fast on %s=%j', (name, value, message) => {
    const load = () => loadRoutingConfig({ [name]: value });
    expect(load).toThrow(RoutingError);
    expect(load).toThrow(message);
  });
});

describe('helpers', () => {
  it('builds the patient mailbox from the matricule', () => {
    expect(patientMailbox('279035121518989')).toBe(PATIENT);
  });

  it('recognises MSSanté addresses', () => {
    expect(isMssanteAddress(PHYSICIAN)).toBe(true);
    expect(isMssanteAddress('x@mssante.fr')).toBe(true);
    expect(isMssanteAddress('x@notmssante.fr')).toBe(false);
    expect(isMssanteAddress('x@mssante.fr.evil.com')).toBe(false);
    expect(isMssanteAddress('Dr X <x@medecin.mssante.fr>')).toBe(false);
    expect(isMssanteAddress('a..b@medecin.mssante.fr')).toBe(false);
  });

  it('reads the kind and the INVISIBLE_PATIENT flag from the metadata', () => {
    const f = facts();
    const { kind: _kind, invisibleToPatient: _flag, ...routing } = f;
    const result = routeFactsOf({
      metadata: {
        kind: 'medication-review',
        confidentialityCodes: [
          { code: 'N', codeSystem: '2.16.840.1.113883.5.25', displayName: 'Normal' },
          { code: 'INVISIBLE_PATIENT', codeSystem: '1.2.250.1.213.1.1.4.13', displayName: 'Non visible par le patient' },
        ],
      },
      routing,
    });
    expect(result.kind).toBe('medication-review');
    expect(result.invisibleToPatient).toBe(true);
    expect(decideRoutes(result)).toEqual([dmp, pros(PHYSICIAN)]);
  });
});
