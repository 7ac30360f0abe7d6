import { assertPatientIdentity, type QualifiedIdentity } from '@passerelle/ins';
import { avroType, FAMILIES, type LgoEvent } from '@passerelle/schemas';
import { checkCanonicalBytes } from '@passerelle/signature';
import { generateEvents, Rng } from '../../../../test/generators/events';
import { identityOf, vaccinationEvent } from '../../../../test/support/sample-events';
import { buildDocument } from '../index';
import type { BuiltDocument } from '../built-document';
import { buildDispensation } from './dispensation';
import { buildMedicationReview } from './medication-review';
import { buildVaccinationNote } from './vaccination-note';

// While both exist: the writer (../xml-writer.ts) must give, for any event, the very bytes the element tree and its
// serialiser gave, and bytes the signer takes as canonical as they are.
const LEGACY: Record<string, (event: never, identity: QualifiedIdentity) => BuiltDocument | Promise<BuiltDocument>> = {
  vaccination: buildVaccinationNote,
  dispensation: buildDispensation,
  medicationReview: buildMedicationReview,
};

/** Whether the document needed escaping (so that the test below is known to exercise it). */
async function expectSame(family: string, event: unknown, identity: QualifiedIdentity): Promise<boolean> {
  const legacy = await (LEGACY[family] as (e: never, i: QualifiedIdentity) => BuiltDocument | Promise<BuiltDocument>)(
    event as never,
    identity,
  );
  const doc = await buildDocument(family as never, event as never, identity);
  if (!doc.xml.equals(legacy.xml)) expect(doc.xml.toString()).toBe(legacy.xml.toString());
  expect(doc.metadata).toEqual(legacy.metadata);
  expect(checkCanonicalBytes(doc.xml)).toBeDefined();
  return /&(amp|lt|gt|quot|#x9|#xA|#xD);/.test(doc.xml.toString());
}

/**
 * Every string of the event (but its ids: an event id is a UUID), sometimes lengthened with what needs escaping or
 * cannot be in XML at all.
 */
function roughen(value: unknown, rng: Rng, key = ''): unknown {
  const nasty = ['&<>"\'\r\n\t', '\u0001a\u0008\u000b\u001f', '\ud800x\udc00\uffff\ufffe', 'é 漢 😀 \u2028', '  ', '', ']]>', '&amp;'];
  if (typeof value === 'string')
    return !/EventId$|^eventId$/.test(key) && rng.bool(0.3) ? `${value}${rng.pick(nasty)}${rng.pick(nasty)}` : value;
  if (Array.isArray(value)) return value.map((v) => roughen(v, rng, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roughen(v, rng, k)]));
  return value;
}

const familyOf = (e: LgoEvent) => (FAMILIES.find((f) => f.topic === e.topic) as { family: string }).family;

describe('the CDA writer gives the bytes of the element tree', () => {
  it('for 4,000 generated events (every family and review kind, names with accents and XML metacharacters)', async () => {
    for (const e of generateEvents(4000, 20261206)) {
      await expectSame(familyOf(e), e.event, assertPatientIdentity(e.event.patient, { testPlatform: true }));
    }
  }, 300_000);

  it('for 4,000 generated events with control characters, lone surrogates and escapes in their strings', async () => {
    const rng = new Rng(7);
    const identity = identityOf(vaccinationEvent());
    let escaped = 0;
    for (const e of generateEvents(4000, 42)) if (await expectSame(familyOf(e), roughen(e.event, rng), identity)) escaped += 1;
    expect(escaped).toBeGreaterThan(3000);
  }, 300_000);

  it.each(FAMILIES.map((f) => [f.family, f.topic] as const))(
    'for 2,000 random schema-valid %s events',
    async (family, topic) => {
      const type = avroType(topic);
      const identity = identityOf(vaccinationEvent());
      for (let i = 0; i < 2000; i++) await expectSame(family, type.fromBuffer(type.toBuffer(type.random())), identity);
    },
    300_000,
  );
});
