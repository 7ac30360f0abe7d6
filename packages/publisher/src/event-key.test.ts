import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventKey } from './event-key';
import { ConfigError } from '@passerelle/errors';
import { createPublisher, MIN_KEY_SECRET_BYTES } from './publisher';
import { isTraceparent, newTraceparent } from './trace-context';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'events');
const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

describe('eventKey', () => {
  const vaccination = load('vaccination');

  it('is 32 hexadecimal characters, and the same for every event of one patient at one pharmacy', () => {
    const key = eventKey(vaccination);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    // Another family, another event id, other body: same patient, same pharmacy → same key (same partition, in order).
    for (const name of ['dispensation', 'medication-review', 'pharmaceutical-interview']) {
      const other = load(name);
      expect(other.eventId).not.toBe(vaccination.eventId);
      expect(eventKey(other)).toBe(key);
    }
    // Stable across runs: the recipe is fixed (SHA-256 of a versioned, NUL-separated string).
    expect(key).toBe('b69ab94916ecdb211b89c73436d9f7b7');
  });

  it('differs between patients and between pharmacies', () => {
    const base = { pharmacy: { finess: '750100208' }, patient: { localId: 'LGO-P-000042' } };
    const keys = new Set([
      eventKey(base),
      eventKey({ ...base, patient: { localId: 'LGO-P-000043' } }),
      eventKey({ ...base, pharmacy: { finess: '750100216' } }),
      // The separator keeps "7501002" + "08LGO…" apart from "750100208" + "LGO…".
      eventKey({ pharmacy: { finess: '7501002' }, patient: { localId: '08LGO-P-000042' } }),
    ]);
    expect(keys.size).toBe(4);
  });

  it('carries no personal data: neither the local id, the FINESS, the INS, nor names or birth date', () => {
    const key = eventKey(vaccination);
    const p = vaccination.patient;
    for (const value of [
      p.localId,
      p.ins.matricule,
      p.birthFamilyName,
      p.firstGivenName,
      p.birthDate,
      p.birthDate.replace(/-/g, ''),
      vaccination.pharmacy.finess,
    ]) {
      expect(key).not.toContain(value);
      expect(key.toLowerCase()).not.toContain(Buffer.from(value).toString('hex').slice(0, 8));
    }
  });

  it('becomes an HMAC with a secret: a different, still stable key', () => {
    const plain = eventKey(vaccination);
    const keyed = eventKey(vaccination, 'pharmacy-group-secret');
    expect(keyed).toMatch(/^[0-9a-f]{32}$/);
    expect(keyed).not.toBe(plain);
    expect(eventKey(vaccination, 'pharmacy-group-secret')).toBe(keyed);
    expect(eventKey(vaccination, 'another-secret')).not.toBe(keyed);
  });
});

describe('traceparent', () => {
  it('starts a new, well-formed, random trace each time', () => {
    const a = newTraceparent();
    const b = newTraceparent();
    expect(isTraceparent(a)).toBe(true);
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(a).not.toBe(b);
  });

  it('refuses malformed and all-zero ids', () => {
    expect(isTraceparent('00-00000000000000000000000000000000-0000000000000001-01')).toBe(false);
    expect(isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(true);
    expect(isTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7')).toBe(false);
  });
});

describe('the key secret', () => {
  const base = { brokers: '127.0.0.1:1', registryUrl: 'http://127.0.0.1:1/apis/ccompat/v7' };

  it('is required outside a test platform, with at least 32 bytes, and refused before anything connects', () => {
    expect(() => createPublisher(base)).toThrow(ConfigError);
    expect(() => createPublisher(base)).toThrow(/keySecret is required outside a test platform .*PASSERELLE_KEY_SECRET_FILE/);
    expect(() => createPublisher({ ...base, keySecret: 'short' })).toThrow(`keySecret must be at least ${MIN_KEY_SECRET_BYTES} bytes`);
    expect(() => createPublisher({ ...base, keySecret: Buffer.alloc(31, 1) })).toThrow(ConfigError);
  });

  it('may be left out on a test platform; a long enough one is taken', async () => {
    for (const options of [{ testPlatform: true }, { keySecret: 'x'.repeat(MIN_KEY_SECRET_BYTES) }]) {
      const publisher = createPublisher({ ...base, ...options });
      expect(typeof publisher.publish).toBe('function');
      await publisher.close();
    }
  });

  it('makes keys that only its holders can recompute: another secret, another key; the plain hash differs too', () => {
    const event = load('vaccination');
    const a = eventKey(event, 'a'.repeat(32));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(eventKey(event, 'a'.repeat(32))).toBe(a);
    expect(eventKey(event, 'b'.repeat(32))).not.toBe(a);
    expect(eventKey(event)).not.toBe(a);
  });
});
