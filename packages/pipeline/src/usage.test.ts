import type { DocumentStatus, StatusEntry } from '@passerelle/schemas';
import { formatUsageCsv, formatUsageText, missingForTarget, monthOf, UsageLedger } from './usage';
import { usageHeaders } from './usage-facts';

const JAN = Date.UTC(2026, 0, 15, 10);
const entry = (state: string, stage: string, at: number, detail: string | null = null): StatusEntry => ({
  state,
  stage,
  at,
  detail,
  attempt: null,
});
const status = (documentId: string, history: StatusEntry[]): DocumentStatus => {
  const last = history[history.length - 1] as StatusEntry;
  return { documentId, eventId: `e-${documentId}`, state: last.state, stage: last.stage, at: last.at, detail: last.detail, history };
};
const routed = (id: string, routes: string, at = JAN) => [
  entry('composed', 'composer', at),
  entry('signed', 'signer', at + 1),
  entry('routed', 'router', at + 2, routes),
];
const dmpDelivered = (id: string, at = JAN) => status(id, [...routed(id, 'dmp', at), entry('delivered', 'dmp-gateway', at + 3, 'dmp: OK')]);

describe('usage counters', () => {
  it('missingForTarget: integer arithmetic at the boundary', () => {
    expect(missingForTarget(9, 10, 90)).toBe(0);
    expect(missingForTarget(8, 10, 90)).toBe(1);
    expect(missingForTarget(0, 20, 5)).toBe(1);
    expect(missingForTarget(0, 21, 5)).toBe(2); // 5 % of 21 is 1.05: one is not enough
    expect(missingForTarget(0, 0, 90)).toBe(0);
  });

  it('monthOf: the month in Paris, not UTC', () => {
    expect(monthOf(Date.UTC(2026, 0, 31, 23, 30))).toBe('2026-02');
    expect(monthOf(Date.UTC(2026, 0, 31, 22, 30))).toBe('2026-01');
  });

  it('each professional recipient is counted under mss:professionals, one per recipient; the patient apart', () => {
    const ledger = new UsageLedger();
    const history = [
      ...routed('v1', 'mss:patient,mss:professional-1,mss:professional-2'),
      entry('delivered', 'mss-gateway', JAN + 3, 'mss:patient: 250 Q0'),
      entry('delivered', 'mss-gateway', JAN + 4, 'mss:professional-1: 250 Q1'),
      entry('dead-lettered', 'mss-gateway', JAN + 5, 'mss:professional-2: MSS_SMTP_REJECTED 550'),
    ];
    ledger.add(status('v1', history), usageHeaders({ finess: '010000001', kind: 'dispensation', prescription: 'none' }));
    const p = ledger.report().pharmacies[0];
    expect(p?.byRoute).toEqual({
      'mss:patient': { sent: 0, delivered: 1, failed: 0, waiting: 0 },
      'mss:professionals': { sent: 0, delivered: 1, failed: 1, waiting: 0 },
    });
    // A dispensation with an MSSanté delivery counts for the MSSanté indicator, even with one recipient refused.
    expect(p?.indicators.find((i) => i.id === 'mss')).toMatchObject({ numerator: 1, denominator: 1 });
  });

  it('per pharmacy and month: kinds, routes, states and the three indicators', () => {
    const ledger = new UsageLedger();
    const A = usageHeaders({ finess: '010000001', kind: 'medication-review' });
    // 9 reviews delivered to the DMP, 1 refused: 90 % met
    for (let i = 0; i < 9; i++) ledger.add(dmpDelivered(`r${i}`), A);
    ledger.add(
      status('r9', [...routed('r9', 'dmp'), entry('dead-lettered', 'dmp-gateway', JAN + 3, 'DMP_REFUSED')]),
      usageHeaders({ finess: '010000001', kind: 'pharmaceutical-interview' }),
    );
    // 20 dispensations: none with MSSanté, 10 on prescription of which 6 e-prescriptions
    for (let i = 0; i < 20; i++) {
      const prescription = i < 6 ? 'e-prescription' : i < 10 ? 'paper' : 'none';
      ledger.add(dmpDelivered(`d${i}`), usageHeaders({ finess: '010000001', kind: 'dispensation', prescription }));
    }
    const [p, ...rest] = ledger.report().pharmacies;
    expect(rest).toHaveLength(0);
    expect(p).toMatchObject({ finess: '010000001', month: '2026-01', documents: 30, sent: 30, delivered: 29, failed: 1 });
    expect(p?.byKind).toEqual({ 'medication-review': 9, 'pharmaceutical-interview': 1, dispensation: 20 });
    expect(p?.byRoute.dmp).toEqual({ sent: 0, delivered: 29, failed: 1, waiting: 0 });
    const byId = Object.fromEntries((p?.indicators ?? []).map((i) => [i.id, i]));
    expect(byId.dmp).toMatchObject({ numerator: 9, denominator: 10, rate: 0.9, met: true, missing: 0, remunerationEur: 100 });
    expect(byId.mss).toMatchObject({ numerator: 0, denominator: 20, met: false, missing: 1, remunerationEur: 240 });
    expect(byId['e-prescription']).toMatchObject({ numerator: 6, denominator: 10, met: false, missing: 1, remunerationEur: null });
  });

  it('a record read twice, or the two gateways of one document, count once; MSSanté counts once delivered', () => {
    const ledger = new UsageLedger();
    const h = usageHeaders({ finess: '020000002', kind: 'dispensation', prescription: 'none' });
    const base = routed('x', 'dmp,mss:patient');
    const byDmp = status('x', [...base, entry('delivered', 'dmp-gateway', JAN + 3, 'dmp: OK')]);
    const byMss = status('x', [...base, entry('delivered', 'mss-gateway', JAN + 4, 'mss:patient: 250 q1')]);
    ledger.add(byDmp, h);
    ledger.add(byDmp, h);
    expect(ledger.report().pharmacies[0]?.indicators.find((i) => i.id === 'mss')).toMatchObject({ numerator: 0, denominator: 1 });
    ledger.add(byMss, h);
    ledger.add(byDmp, h);
    const [p] = ledger.report().pharmacies;
    expect(p).toMatchObject({ documents: 1, sent: 1, delivered: 1 });
    expect(p?.indicators.find((i) => i.id === 'mss')).toMatchObject({ numerator: 1, denominator: 1, met: true });
  });

  it('filters by FINESS and month; statuses without a pharmacy are told apart, not counted', () => {
    const ledger = new UsageLedger();
    ledger.add(dmpDelivered('a'), usageHeaders({ finess: '030000003', kind: 'vaccination-note' }));
    ledger.add(dmpDelivered('b', Date.UTC(2026, 2, 3)), usageHeaders({ finess: '030000003', kind: 'vaccination-note' }));
    ledger.add(dmpDelivered('c'), usageHeaders({ finess: '040000004', kind: 'vaccination-note' }));
    ledger.add(dmpDelivered('old'), {});
    expect(ledger.report().pharmacies.map((p) => `${p.finess} ${p.month}`)).toEqual([
      '030000003 2026-01',
      '030000003 2026-03',
      '040000004 2026-01',
    ]);
    expect(ledger.report({ finess: '030000003', month: '2026-03' }).pharmacies).toHaveLength(1);
    expect(ledger.report().withoutPharmacy).toBe(1);
    const text = formatUsageText(ledger.report({ finess: '040000004' }));
    expect(text).toContain('040000004 2026-01: 1 documents (vaccination-note 1)');
    expect(text).toContain('1 documents name no pharmacy');
    const csv = formatUsageCsv(ledger.report({ finess: '040000004' })).split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[1]).toBe('040000004,2026-01,1,1,1,0,dmp,0,0,,90,,0,100');
  });
});
