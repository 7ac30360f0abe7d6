import fc from 'fast-check';
import { assertPatientIdentity, controlKey, parseMatricule } from '@passerelle/ins';
import { avroType, type LgoEvent } from '@passerelle/schemas';
import {
  EVENT_SHAPES,
  IDENTITY_KINDS,
  Rng,
  dispensationEventArb,
  generateEvents,
  generateIdentity,
  identityArb,
  insKey,
  lgoEventArb,
  medicationReviewEventArb,
  vaccinationEventArb,
} from './events';
import { seedFastCheck } from '../support/seed';

seedFastCheck(); // FC_SEED replays a run of the properties below

const METACHARACTERS = /[<>&"']|]]>/;

describe('insKey', () => {
  it('matches the checked examples of REFERENCE §4', () => {
    expect(insKey('2790351215189')).toBe('89');
    expect(insKey('253072B073004')).toBe('70');
  });
});

describe('generated identities', () => {
  it('are valid qualified INS identities for @passerelle/ins (key, OID, traits consistent)', () => {
    fc.assert(
      fc.property(identityArb, (id) => {
        const parsed = parseMatricule(id.matricule);
        expect(Number(parsed.key)).toBe(controlKey(id.matricule.slice(0, 13)));
        if (parsed.bornAbroad) expect(id.birthPlace.startsWith('99')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('cover NIR mainland, overseas, Corsica 2A/2B and 20, abroad 99 and NIA', () => {
    const rng = new Rng(7);
    const departments = new Set(IDENTITY_KINDS.map((kind) => parseMatricule(generateIdentity(rng, kind).matricule).department));
    expect(departments).toContain('99');
    expect(departments).toContain('20');
    expect([...departments].some((d) => d === '2A' || d === '2B')).toBe(true);
    expect([...departments].some((d) => d.length === 3 && d.startsWith('97'))).toBe(true);
  });
});

describe('event arbitraries', () => {
  const checkEvent = ({ topic, event }: LgoEvent) => {
    expect(avroType(topic).isValid(event)).toBe(true);
    expect(() => assertPatientIdentity(event.patient, { testPlatform: false })).not.toThrow();
  };

  it('vaccination events are schema-valid with a qualified INS', () => {
    fc.assert(
      fc.property(vaccinationEventArb, (event) => checkEvent({ topic: 'lgo.vaccination.v1', event })),
      { numRuns: 200 },
    );
  });

  it('dispensation events are schema-valid with a qualified INS', () => {
    fc.assert(
      fc.property(dispensationEventArb, (event) => checkEvent({ topic: 'lgo.dispensation.v1', event })),
      { numRuns: 200 },
    );
  });

  it('medication review events are schema-valid with a qualified INS', () => {
    fc.assert(
      fc.property(medicationReviewEventArb, (event) => checkEvent({ topic: 'lgo.medication-review.v1', event })),
      { numRuns: 200 },
    );
  });

  it('any event is schema-valid', () => {
    fc.assert(fc.property(lgoEventArb, checkEvent), { numRuns: 200 });
  });
});

describe('generateEvents', () => {
  const events = generateEvents(240, 42);

  it('is deterministic and spreads events over the four document types', () => {
    expect(generateEvents(240, 42)).toEqual(events);
    expect(generateEvents(8, 43)).not.toEqual(events.slice(0, 8));
    const shapes = events.map((e) => (e.topic === 'lgo.medication-review.v1' ? `${e.topic}:${e.event.review.kind}` : e.topic));
    for (const shape of EVENT_SHAPES) {
      const key = 'kind' in shape ? `${shape.topic}:${shape.kind}` : shape.topic;
      expect(shapes.filter((s) => s === key)).toHaveLength(60);
    }
  });

  it('gives schema-valid events with qualified identities', () => {
    for (const e of events) {
      expect(avroType(e.topic).isValid(e.event)).toBe(true);
      expect(() => assertPatientIdentity(e.event.patient, { testPlatform: false })).not.toThrow();
    }
  });

  it('covers the hostile names, NIA, Corsica and births abroad', () => {
    const patients = events.map((e) => e.event.patient);
    expect(patients.some((p) => METACHARACTERS.test(p.birthFamilyName))).toBe(true);
    expect(patients.some((p) => p.birthFamilyName.includes('</family><x>'))).toBe(true);
    expect(patients.some((p) => /[À-ÿ]/.test(p.birthFamilyName + p.birthGivenNames))).toBe(true);
    expect(patients.some((p) => p.birthGivenNames.split(' ').length >= 3)).toBe(true);
    expect(patients.some((p) => p.ins.oid === '1.2.250.1.213.1.4.9')).toBe(true);
    expect(patients.some((p) => /^2[AB]/.test(p.birthPlace))).toBe(true);
    expect(patients.some((p) => p.birthPlace.startsWith('99'))).toBe(true);
  });

  it('sets every nullable field in some events and leaves it null in others', () => {
    // Walk every path of every event: each path that is ever null must also be non-null somewhere, and the reverse.
    const seen = new Map<string, { nulls: number; values: number }>();
    const walk = (value: unknown, path: string): void => {
      const entry = seen.get(path) ?? { nulls: 0, values: 0 };
      if (value === null) entry.nulls++;
      else entry.values++;
      seen.set(path, entry);
      if (Array.isArray(value)) value.forEach((v) => walk(v, `${path}[]`));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    };
    for (const e of events) walk(e.event, e.topic);
    const nullable = [...seen].filter(([, c]) => c.nulls > 0);
    expect(nullable.length).toBeGreaterThan(20);
    for (const [path, counts] of nullable) {
      expect({ path, hasValue: counts.values > 0 }).toEqual({ path, hasValue: true });
    }
    // The fields the schemas make optional are among them.
    for (const path of [
      'lgo.vaccination.v1.correction',
      'lgo.vaccination.v1.vaccination.route',
      'lgo.dispensation.v1.dispensation.prescription',
      'lgo.medication-review.v1.review.conclusion',
      'lgo.vaccination.v1.patient.usedFamilyName',
    ]) {
      expect(seen.get(path)?.nulls ?? 0).toBeGreaterThan(0);
    }
  });
});
