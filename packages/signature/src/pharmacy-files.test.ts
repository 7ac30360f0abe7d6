import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expiriesOfPharmacies } from './pharmacy-files';

describe('expiriesOfPharmacies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pharmacy-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists each <FINESS>.p12 with what is read of it, leaving out what is not a pharmacy's file or cannot be read", async () => {
    const pharmacies = Array.from({ length: 100 }, (_, i) => String(750_000_000 + i));
    for (const f of pharmacies) writeFileSync(join(dir, `${f}.p12`), '');
    writeFileSync(join(dir, '750000000.pass'), '');
    writeFileSync(join(dir, 'notes.p12'), '');
    mkdirSync(join(dir, 'trust'), { recursive: true });
    const expiries = await expiriesOfPharmacies(dir, (finess) => {
      if (finess === '750000007') throw new Error('unreadable');
      return finess === '750000008' ? undefined : Number(finess);
    });
    expect(expiries.size).toBe(98);
    expect(expiries.get('750000042')).toBe(750_000_042);
    expect(expiries.has('750000007')).toBe(false);
    expect(expiries.has('750000008')).toBe(false);
  });

  it('gives the event loop turns while it reads (a timer set before it fires before it ends)', async () => {
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 0);
    const seen: number[] = [];
    await expiriesOfPharmacies(dir, () => {
      seen.push(turns);
      const until = Date.now() + 1; // a file read of ~1 ms
      while (Date.now() < until);
      return 0;
    });
    clearInterval(ticker);
    // The reads are spread over several turns of the event loop, not done in one go.
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it('is empty for a directory that does not exist', async () => {
    expect((await expiriesOfPharmacies(join(dir, 'none'), () => 1)).size).toBe(0);
  });
});
