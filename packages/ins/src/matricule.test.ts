import { controlKey, parseMatricule } from './matricule';
import { InsError } from './errors';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InsError) return err.code;
    throw err;
  }
  return undefined;
}

describe('controlKey', () => {
  it('computes 97 - (n mod 97) on the REFERENCE examples', () => {
    expect(controlKey('2790351215189')).toBe(89);
    expect(controlKey('2770763220829')).toBe(10);
  });

  it('replaces Corsica 2A by 19 and 2B by 18', () => {
    expect(controlKey('253072B073004')).toBe(70);
    expect(controlKey('185122A004011')).toBe(86);
    // The substitution is what makes the key: with the letters read as 20 the key would differ.
    expect(controlKey('2530720073004')).not.toBe(70);
  });

  it('refuses letters outside the department', () => {
    expect(codeOf(() => controlKey('2A90351215189'))).toBe('INS_MALFORMED');
  });
});

describe('parseMatricule', () => {
  it('splits a NIR into its parts', () => {
    expect(parseMatricule('279035121518989')).toEqual({
      sexDigit: '2',
      year: '79',
      month: '03',
      department: '51',
      commune: '215',
      order: '189',
      key: '89',
      sex: 'F',
      monthKnown: true,
      bornAbroad: false,
    });
  });

  it('reads Corsican departments', () => {
    const p = parseMatricule('253072B07300470');
    expect([p.department, p.commune, p.sex]).toEqual(['2B', '073', 'F']);
    expect(parseMatricule('185122A00401186').department).toBe('2A');
  });

  it('reads 3-character overseas departments', () => {
    const p = parseMatricule('292049740801282');
    expect([p.department, p.commune]).toEqual(['974', '08']);
    expect(parseMatricule('288059876543201').department).toBe('987');
  });

  it('reads a birth abroad (department 99, commune = country)', () => {
    const p = parseMatricule('185129935212381');
    expect(p.bornAbroad).toBe(true);
    expect([p.sex, p.commune]).toEqual(['M', '352']);
  });

  it('accepts the special sex digits and unknown-month ranges', () => {
    expect(parseMatricule('304129910000783').sex).toBe('M');
    const four = '4041299100007';
    expect(parseMatricule(four + String(controlKey(four)).padStart(2, '0')).sex).toBe('F');
    const p = parseMatricule('768015012345653');
    expect([p.sex, p.month, p.monthKnown]).toEqual(['M', '01', true]);
    // month 20 / 30-42 / 50+: valid but not comparable with a birth date
    for (const first13 of ['1652020123045', '1653520123045', '1654220123045', '1655020123045', '1659920123045']) {
      const key = String(controlKey(first13)).padStart(2, '0');
      expect(parseMatricule(first13 + key).monthKnown).toBe(false);
    }
  });

  it.each([
    ['too short', '27903512151898'],
    ['too long', '2790351215189890'],
    ['sex digit 5', '579035121518989'],
    ['sex digit 0', '079035121518989'],
    ['month 00', '279005121518989'],
    ['month 13', '279135121518989'],
    ['month 45', '279455121518989'],
    ['department 00', '279030012151889'],
    ['department 2C', '279032C21518989'],
    ['department 3A', '279033A21518989'],
    ['letters elsewhere', '27903512151898A'],
    ['order 000', '279035121500089'],
    ['key 00', '279035121518900'],
    ['key 98', '279035121518998'],
  ])('refuses a malformed matricule: %s', (_label, matricule) => {
    expect(codeOf(() => parseMatricule(matricule))).toBe('INS_MALFORMED');
  });

  it.each([
    ['wrong key', '279035121518988'],
    ['transposed digits', '297035121518989'],
    ['Corsica with a wrong key', '253072B07300471'],
    ['Corsica 2A instead of 2B', '253072A07300470'],
  ])('refuses a key mismatch: %s', (_label, matricule) => {
    expect(codeOf(() => parseMatricule(matricule))).toBe('INS_KEY_MISMATCH');
  });

  it('never puts the value in the error message', () => {
    try {
      parseMatricule('279035121518988');
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(InsError);
      expect((err as Error).message).not.toContain('2790351215189');
      expect((err as InsError).field).toBe('patient.ins.matricule');
    }
  });
});
