/**
 * Exactly-once accounting for the fault test: what each input event should become, what the topics say it became,
 * and the verdict per event. Pure: the test reads the topics, this decides.
 *
 * Every record the pipeline writes for an event is an observation named by what it is:
 *  - `dmp`, `mss:patient`, `mss:professionals`: the routes (dmp.submissions, mss.messages);
 *  - `dlq:<code>`: a dead letter, from any stage's `.dlq` topic;
 *  - `status:<state>[:<detail>]`: a record of documents.status (`status:parked:identity-not-qualified`); a gateway's
 *    `delivered` names its route (`status:delivered:dmp`, `status:delivered:mss:professionals`);
 *  - `composed`, `signed`: the intermediate topics;
 *  - `input`: the event itself on its input topic (the test's own publishing, checked too); `input:attempt-<n>`: the
 *    record the retrier put back there for attempt n (`dmp:attempt-<n>`, `mss:<audience>:attempt-<n>`: a gateway's).
 * Under exactly once, each of these appears at most once per event (retrying statuses aside: one per attempt).
 */

export type Route = 'dmp' | 'mss:patient' | 'mss:professionals';
export type Outcome = 'delivered' | 'parked' | 'dead-lettered';

export interface Expectation {
  eventId: string;
  outcome: Outcome;
  /** For `delivered`: the routes the rules give (possibly none: then the `routed` status is the delivery) */
  routes: Route[];
  /** For `dead-lettered`: the error code */
  code?: string;
}

export interface Observation {
  eventId: string;
  what: string;
  /** `<topic>:<partition>:<offset>`: which record */
  place?: string;
  /** A status record's time (epoch ms): when its stage wrote it */
  at?: number;
}

export const PARKED = 'status:parked:identity-not-qualified';
const ROUTES: readonly Route[] = ['dmp', 'mss:patient', 'mss:professionals'];
/** Observations that may legitimately repeat: one `retrying` status per failed attempt. */
const REPEATABLE = /^status:retrying(:|$)/;

export interface Verdict {
  eventId: string;
  /** What the topics show, or `lost` (no outcome, or a delivery with a route missing), or `conflicting` (several) */
  outcome: Outcome | 'lost' | 'conflicting';
  /** What is wrong with it: not the expected outcome (a wrong route set, a wrong dead-letter code, parked instead of
   * delivered…), or for `lost` and `conflicting`, what was missing or seen */
  wrong: string | null;
  /** Observations seen more than once, with their counts */
  duplicates: [string, number][];
}

export interface Accounting {
  inputs: number;
  delivered: number;
  parked: number;
  deadLettered: number;
  lost: number;
  /** Events with more than one outcome (e.g. delivered and dead-lettered): processed twice */
  conflicting: number;
  /** Events with at least one record written more than once */
  duplicated: number;
  /** Events whose single outcome is not the expected one */
  wrong: number;
  /** Input events published more than once by the test itself (would make output duplicates meaningless) */
  inputsRepeated: number;
  /** Observations for event ids the test never sent */
  strangers: number;
  verdicts: Verdict[];
}

/**
 * Judges every expected event against the observations. With `deliveries` (the gateways ran), a route is delivered
 * only once its gateway's `status:delivered:<route>` is there too.
 */
export function account(expected: Expectation[], observations: Iterable<Observation>, opts: { deliveries?: boolean } = {}): Accounting {
  const counts = new Map<string, Map<string, number>>();
  const known = new Set(expected.map((e) => e.eventId));
  let strangers = 0;
  for (const o of observations) {
    if (!known.has(o.eventId)) {
      strangers += 1;
      continue;
    }
    const perEvent = counts.get(o.eventId) ?? new Map<string, number>();
    perEvent.set(o.what, (perEvent.get(o.what) ?? 0) + 1);
    counts.set(o.eventId, perEvent);
  }
  const verdicts = expected.map((e) => judge(e, counts.get(e.eventId) ?? new Map(), opts.deliveries ?? false));
  const count = (outcome: Verdict['outcome']) => verdicts.filter((v) => v.outcome === outcome).length;
  return {
    inputs: expected.length,
    delivered: count('delivered'),
    parked: count('parked'),
    deadLettered: count('dead-lettered'),
    lost: count('lost'),
    conflicting: count('conflicting'),
    duplicated: verdicts.filter((v) => v.duplicates.some(([what]) => what !== 'input')).length,
    wrong: verdicts.filter((v) => v.wrong !== null && v.outcome !== 'lost' && v.outcome !== 'conflicting').length,
    inputsRepeated: verdicts.filter((v) => v.duplicates.some(([what]) => what === 'input')).length,
    strangers,
    verdicts,
  };
}

function judge(e: Expectation, seen: Map<string, number>, deliveries: boolean): Verdict {
  const has = (what: string) => (seen.get(what) ?? 0) > 0;
  const duplicates = [...seen].filter(([what, n]) => n > 1 && !REPEATABLE.test(what));
  const routes = ROUTES.filter(has);
  const deadLetters = [...seen.keys()].filter((w) => w.startsWith('dlq:'));
  const outcomes: Outcome[] = [];
  if (routes.length > 0 || has('status:routed')) outcomes.push('delivered');
  if (has(PARKED)) outcomes.push('parked');
  if (deadLetters.length > 0) outcomes.push('dead-lettered');

  const verdict = (outcome: Verdict['outcome'], wrong: string | null = null): Verdict => ({
    eventId: e.eventId,
    outcome,
    wrong,
    duplicates,
  });
  if (outcomes.length === 0) return verdict('lost');
  if (outcomes.length > 1) return verdict('conflicting', `expected ${e.outcome}, saw ${outcomes.join(' and ')}`);
  const [outcome] = outcomes as [Outcome];
  if (outcome !== e.outcome) return verdict(outcome, `expected ${e.outcome}, saw ${outcome}`);
  if (outcome === 'delivered') {
    const missing = [
      ...e.routes.filter((r) => !has(r)),
      ...(deliveries ? e.routes.map((r) => `status:delivered:${r}`).filter((d) => !has(d)) : []),
    ];
    const extra = routes.filter((r) => !e.routes.includes(r));
    // A route missing is a record lost, even if the others arrived.
    if (missing.length > 0 || !has('status:routed'))
      return verdict('lost', `missing ${[...missing, ...(has('status:routed') ? [] : ['status:routed'])].join(', ')}`);
    if (extra.length > 0) return verdict(outcome, `unexpected ${extra.join(', ')}`);
  }
  if (outcome === 'dead-lettered' && !deadLetters.includes(`dlq:${e.code}`)) {
    return verdict(outcome, `expected dlq:${e.code}, saw ${deadLetters.join(', ')}`);
  }
  return verdict(outcome);
}

/** The counts as a table, for the test's output. */
export function formatTable(a: Accounting, extra: [string, string | number][] = []): string {
  const rows: [string, string | number][] = [
    ['inputs', a.inputs],
    ['delivered', a.delivered],
    ['parked', a.parked],
    ['dead-lettered', a.deadLettered],
    ['lost', a.lost],
    ['duplicated', a.duplicated],
    ['conflicting outcomes', a.conflicting],
    ['wrong outcome', a.wrong],
    ['inputs published twice', a.inputsRepeated],
    ...extra,
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${String(v).padStart(8)}`).join('\n');
}
