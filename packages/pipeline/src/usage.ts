import type { Headers } from '@passerelle/kafka-runtime';
import type { DocumentStatus } from '@passerelle/schemas';
import { mergeStatus, routeProgress, type RouteProgress } from './status';
import { usageFactsOf, type PrescriptionKind, type UsageFacts } from './usage-facts';

/**
 * The pharmacies' usage indicators (REFERENCE §8, issue 15), computed from the documents' statuses.
 *
 * The counters are a function of the set of documents' statuses, never increments: a status record read twice
 * (a redelivery, a restart, a replay of the compacted topic) merges into the same document (`mergeStatus`) and
 * counts once. That is how the usage consumer is exactly once without a store of its own: see `UsageView`.
 */

/** The programme's indicators, the target each pharmacy must reach and the yearly remuneration it gates (the seeds' table). */
export const USAGE_INDICATORS = [
  {
    id: 'dmp',
    label: 'DMP: accompaniments and medication reviews feeding the DMP',
    targetPercent: 90,
    remunerationEur: 100,
  },
  {
    id: 'mss',
    label: 'MSSanté: dispensations giving rise to an MSSanté exchange',
    targetPercent: 5,
    remunerationEur: 240,
  },
  {
    id: 'e-prescription',
    label: 'e-prescription: dispensations on prescription carrying an e-prescription id',
    targetPercent: 70,
    // The seeds give the target (35 % then 70 %) and no amount for this one.
    remunerationEur: null,
  },
] as const;

export type IndicatorId = (typeof USAGE_INDICATORS)[number]['id'];

export interface Indicator {
  id: IndicatorId;
  label: string;
  targetPercent: number;
  remunerationEur: number | null;
  /** Documents that count towards the target */
  numerator: number;
  /** Documents the target is measured over */
  denominator: number;
  /** numerator / denominator, null without a document to measure */
  rate: number | null;
  /** null without a document to measure */
  met: boolean | null;
  /** How many more of the denominator's documents would have to count for the target to be met (0 when met) */
  missing: number;
}

export interface RouteCounts {
  sent: number;
  delivered: number;
  failed: number;
  waiting: number;
}

/** One pharmacy's usage in one month: only counts, keyed by its FINESS. */
export interface PharmacyUsage {
  finess: string;
  /** YYYY-MM, Europe/Paris, of the document's first status (when it entered Passerelle) */
  month: string;
  documents: number;
  byKind: Record<string, number>;
  byState: Record<string, number>;
  byRoute: Record<string, RouteCounts>;
  /** Documents with at least one route taken */
  sent: number;
  /** Documents whose every route is delivered */
  delivered: number;
  /** Documents dead-lettered, or with a route that failed */
  failed: number;
  indicators: Indicator[];
}

export interface UsageReport {
  pharmacies: PharmacyUsage[];
  /** Documents whose statuses carry no usage headers (written before they existed, or not through the composer): not counted above */
  withoutPharmacy: number;
}

export interface UsageFilter {
  finess?: string;
  month?: string;
}

/** How many more documents the numerator needs for num/den to reach target % (integers only: no rounding surprise). */
export function missingForTarget(numerator: number, denominator: number, targetPercent: number): number {
  return Math.max(0, Math.ceil((targetPercent * denominator - 100 * numerator) / 100));
}

export function indicator(id: IndicatorId, numerator: number, denominator: number): Indicator {
  const def = USAGE_INDICATORS.find((i) => i.id === id) as (typeof USAGE_INDICATORS)[number];
  const rate = denominator > 0 ? numerator / denominator : null;
  return {
    id,
    label: def.label,
    targetPercent: def.targetPercent,
    remunerationEur: def.remunerationEur,
    numerator,
    denominator,
    rate,
    met: denominator > 0 ? 100 * numerator >= def.targetPercent * denominator : null,
    missing: missingForTarget(numerator, denominator, def.targetPercent),
  };
}

const MONTH = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' });

/** The month (YYYY-MM, Europe/Paris: the pharmacies' months) of an instant. */
export function monthOf(at: number): string {
  return MONTH.format(new Date(at)).slice(0, 7);
}

/** What the counters need of one document: its pharmacy, kind, month, state and routes. */
export interface DocumentUsage {
  documentId: string;
  finess: string;
  kind: string;
  prescription?: PrescriptionKind;
  month: string;
  state: string;
  routes: RouteProgress[];
}

export function documentUsage(status: DocumentStatus, facts: UsageFacts): DocumentUsage {
  const first = status.history.reduce((min, h) => Math.min(min, h.at), status.at);
  return {
    documentId: status.documentId,
    ...facts,
    month: monthOf(first),
    state: status.state,
    routes: routeProgress(status),
  };
}

const REVIEW_KINDS = new Set(['medication-review', 'pharmaceutical-interview']);

/** The counters of one pharmacy's month, from its documents. */
export function pharmacyUsage(finess: string, month: string, docs: DocumentUsage[]): PharmacyUsage {
  const u: PharmacyUsage = {
    finess,
    month,
    documents: docs.length,
    byKind: {},
    byState: {},
    byRoute: {},
    sent: 0,
    delivered: 0,
    failed: 0,
    indicators: [],
  };
  let reviews = 0;
  let reviewsInDmp = 0;
  let dispensations = 0;
  let withMss = 0;
  let onPrescription = 0;
  let ePrescriptions = 0;
  for (const d of docs) {
    u.byKind[d.kind] = (u.byKind[d.kind] ?? 0) + 1;
    u.byState[d.state] = (u.byState[d.state] ?? 0) + 1;
    for (const r of d.routes) {
      // Each professional recipient is a route of its own (`mss:professional-<n>`): counted together, one per recipient.
      const c = (u.byRoute[r.route.replace(/^mss:professional-\d+$/, 'mss:professionals')] ??= {
        sent: 0,
        delivered: 0,
        failed: 0,
        waiting: 0,
      });
      c[r.state] += 1;
    }
    if (d.routes.length > 0) u.sent += 1;
    if (d.routes.length > 0 && d.routes.every((r) => r.state === 'delivered')) u.delivered += 1;
    if (d.state === 'dead-lettered' || d.routes.some((r) => r.state === 'failed')) u.failed += 1;
    // Feeding the DMP means delivered to it: a submission still on its topic or refused does not count.
    if (REVIEW_KINDS.has(d.kind)) {
      reviews += 1;
      if (d.routes.some((r) => r.route === 'dmp' && r.state === 'delivered')) reviewsInDmp += 1;
    }
    if (d.kind === 'dispensation') {
      dispensations += 1;
      if (d.routes.some((r) => r.route.startsWith('mss') && r.state === 'delivered')) withMss += 1;
      // The event tells whether a dispensation was on prescription and whether it carried an e-prescription id; it
      // does not tell the prescriber's sector (community or hospital), so every prescription is counted.
      if (d.prescription === 'paper' || d.prescription === 'e-prescription') onPrescription += 1;
      if (d.prescription === 'e-prescription') ePrescriptions += 1;
    }
  }
  u.indicators = [
    indicator('dmp', reviewsInDmp, reviews),
    indicator('mss', withMss, dispensations),
    indicator('e-prescription', ePrescriptions, onPrescription),
  ];
  return u;
}

/**
 * The documents' statuses as read from `documents.status`, folded record by record: the same document's records
 * merge (the later state wins, histories join), and the usage headers of the latest record that has them stay.
 */
export class UsageLedger {
  private readonly docs = new Map<string, { status: DocumentStatus; facts?: UsageFacts }>();

  add(status: DocumentStatus, headers: Headers): void {
    const known = this.docs.get(status.documentId);
    this.docs.set(status.documentId, { status: mergeStatus(known?.status, status), facts: usageFactsOf(headers) ?? known?.facts });
  }

  get size(): number {
    return this.docs.size;
  }

  /** The documents' merged statuses, by document id (what `matchStatus` searches). */
  statuses(): Map<string, DocumentStatus> {
    return new Map([...this.docs].map(([id, d]) => [id, d.status]));
  }

  report(filter: UsageFilter = {}): UsageReport {
    const groups = new Map<string, DocumentUsage[]>();
    let withoutPharmacy = 0;
    for (const { status, facts } of this.docs.values()) {
      if (!facts) {
        withoutPharmacy += 1;
        continue;
      }
      const d = documentUsage(status, facts);
      if ((filter.finess && d.finess !== filter.finess) || (filter.month && d.month !== filter.month)) continue;
      const k = `${d.finess} ${d.month}`;
      groups.set(k, [...(groups.get(k) ?? []), d]);
    }
    const pharmacies = [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, docs]) => {
        const [finess, month] = k.split(' ') as [string, string];
        return pharmacyUsage(finess, month, docs);
      });
    return { pharmacies, withoutPharmacy };
  }
}

const pct = (rate: number | null) => (rate === null ? '-' : `${(100 * rate).toFixed(1)} %`);

/** The report as an operator reads it: one block per pharmacy and month. */
export function formatUsageText(report: UsageReport): string {
  const lines: string[] = [];
  for (const p of report.pharmacies) {
    const kinds = Object.entries(p.byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const routes = Object.entries(p.byRoute)
      .map(
        ([r, c]) => `${r} ${c.delivered}/${c.sent + c.delivered + c.failed + c.waiting} delivered${c.failed ? `, ${c.failed} failed` : ''}`,
      )
      .join('; ');
    lines.push(`${p.finess} ${p.month}: ${p.documents} documents (${kinds}); sent ${p.sent}, delivered ${p.delivered}, failed ${p.failed}`);
    if (routes) lines.push(`  routes: ${routes}`);
    for (const i of p.indicators) {
      const verdict = i.met === null ? 'nothing to measure' : i.met ? 'met' : `not met, ${i.missing} more needed`;
      const pay = i.remunerationEur === null ? '' : ` (${i.remunerationEur} €/year)`;
      lines.push(`  ${i.id.padEnd(14)} ${pct(i.rate).padStart(7)} of ${i.denominator} (target ${i.targetPercent} %${pay}): ${verdict}`);
    }
  }
  if (report.pharmacies.length === 0) lines.push('no documents');
  if (report.withoutPharmacy > 0)
    lines.push(
      `${report.withoutPharmacy} documents name no pharmacy (their statuses carry no usage headers: written before them, or by a record that did not come through the composer): not counted`,
    );
  return lines.join('\n');
}

/** The report as CSV: one line per pharmacy, month and indicator. */
export function formatUsageCsv(report: UsageReport): string {
  const rows = [
    'finess,month,documents,sent,delivered,failed,indicator,numerator,denominator,rate,target_percent,met,missing,remuneration_eur',
  ];
  for (const p of report.pharmacies) {
    for (const i of p.indicators) {
      rows.push(
        [
          p.finess,
          p.month,
          p.documents,
          p.sent,
          p.delivered,
          p.failed,
          i.id,
          i.numerator,
          i.denominator,
          i.rate === null ? '' : i.rate.toFixed(4),
          i.targetPercent,
          i.met === null ? '' : String(i.met),
          i.missing,
          i.remunerationEur ?? '',
        ].join(','),
      );
    }
  }
  return rows.join('\n');
}
