import { isDone, routeProgress, type DeadLetter, type PharmacyUsage, type StatusMatch, type UsageReport } from '@passerelle/pipeline';
import type { DocumentStatus } from '@passerelle/schemas';
import type { Overview } from './pipeline-state';

/**
 * The console's pages, rendered on the server as plain HTML (no script, no framework): what they show is ids,
 * states, error codes, counts and times, never a record's value, so there is no personal data to leak.
 */

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const iso = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#1d3557;color:#fff;padding:.6em 1em;display:flex;gap:1.5em;align-items:center}
header a{color:#fff;text-decoration:none}header a.on{font-weight:bold;text-decoration:underline}main{padding:1em 1.5em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:.92em}
th{background:#f1f3f5}.met{color:#2b8a3e;font-weight:bold}.notmet{color:#c92a2a;font-weight:bold}.open{color:#c92a2a;font-weight:bold}
.closed{color:#2b8a3e}.note{color:#666;font-size:.9em}form.inline{display:inline}button{cursor:pointer}code{font-size:.95em}
.grid{display:flex;flex-wrap:wrap;gap:2em}.grid>section{min-width:18em}`;

export interface PageContext {
  csrf: string;
}

export function layout(title: string, active: string, body: string, ctx?: PageContext): string {
  const nav = [
    ['/', 'Pipeline'],
    ['/documents', 'Documents'],
    ['/dead-letters', 'Dead letters'],
    ['/usage', 'Usage'],
  ]
    .map(([href, label]) => `<a href="${href}"${href === active ? ' class="on"' : ''}>${label}</a>`)
    .join('');
  const logout = ctx
    ? `<form class="inline" method="post" action="/logout" style="margin-left:auto"><input type="hidden" name="csrf" value="${esc(ctx.csrf)}"><button>Log out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Passerelle</title><style>${STYLE}</style></head>
<body><header><strong>Passerelle</strong>${ctx ? nav : ''}${logout}</header><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function loginPage(failed: boolean): string {
  return layout(
    'Log in',
    '',
    `${failed ? '<p class="notmet" id="login-error">Wrong token.</p>' : ''}
<form method="post" action="/login"><label>Token <input type="password" name="token" id="token" autocomplete="current-password" required></label>
<button type="submit" id="login">Log in</button></form>`,
  );
}

const table = (head: string[], rows: string[][], id?: string) =>
  `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

export function overviewPage(o: Overview, ctx: PageContext): string {
  const breakers = o.breakers.length
    ? table(
        ['Destination', 'Service', 'Breaker'],
        o.breakers.map((b) => [
          esc(b.destination),
          esc(b.stage),
          b.open ? '<span class="open">open</span>' : '<span class="closed">closed</span>',
        ]),
        'breakers',
      )
    : '<p class="note" id="breakers">No breaker state: no gateway metrics endpoint configured (PASSERELLE_CONSOLE_METRICS), or none answered.</p>';
  const letters = Object.entries(o.deadLetters);
  return layout(
    'Pipeline at a glance',
    '/',
    `<div class="grid">
<section><h2>Throughput</h2><p class="note">Statuses written by each stage, from documents.status.</p>
${table(
  ['Stage', 'Last 5 min', 'Last hour'],
  o.throughput.map((t) => [esc(t.stage), String(t.last5m), String(t.last1h)]),
  'throughput',
)}</section>
<section><h2>Lag</h2><p class="note">Offsets of each stage's inputs its consumer group has not committed (as kafka-consumer-groups counts them: transaction markers included).</p>
${table(
  ['Stage', 'Records behind'],
  o.lag.map((l) => [esc(l.stage), l.records === null ? '<span class="note">no group yet</span>' : String(l.records)]),
  'lag',
)}</section>
<section><h2>Documents</h2>${table(
      ['State', 'Documents'],
      Object.entries(o.states).map(([s, n]) => [esc(s), String(n)]),
      'states',
    )}<p>${o.documents} documents in all.</p></section>
<section><h2>Dead letters waiting</h2>${
      letters.length
        ? table(
            ['Code', 'Waiting'],
            letters.map(([c, n]) => [`<a href="/dead-letters?code=${encodeURIComponent(c)}">${esc(c)}</a>`, String(n)]),
            'dead-letter-codes',
          )
        : '<p id="dead-letter-codes">None.</p>'
    }</section>
<section><h2>Breakers</h2>${breakers}${o.unreachable.length ? `<p class="notmet">Metrics unreachable: ${o.unreachable.map(esc).join(', ')}</p>` : ''}</section>
</div>`,
    ctx,
  );
}

function statusBlock(s: DocumentStatus): string {
  const routes = routeProgress(s);
  return `<section id="document"><h2>Document <code>${esc(s.documentId)}</code></h2>
<p>Event <code>${esc(s.eventId)}</code>. Now <strong id="state">${esc(s.state)}</strong>${s.detail ? ` (${esc(s.detail)})` : ''} at ${iso(s.at)} by ${esc(s.stage)}${isDone(s) ? '' : ' — not done yet'}.</p>
${
  routes.length
    ? table(
        ['Route', 'State', 'Answer or code'],
        routes.map((r) => [esc(r.route), esc(r.state), esc(r.detail ?? '')]),
        'routes',
      )
    : ''
}
<h3>History</h3>${table(
    ['At', 'Stage', 'State', 'Attempt', 'Detail'],
    s.history.map((h) => [iso(h.at), esc(h.stage), esc(h.state), h.attempt ? String(h.attempt) : '', esc(h.detail ?? '')]),
    'history',
  )}</section>`;
}

export function documentsPage(query: string, match: StatusMatch | undefined, ctx: PageContext): string {
  let result = '';
  if (match?.kind === 'found') result = statusBlock(match.status);
  else if (match?.kind === 'ambiguous')
    result = `<p id="ambiguous">${match.candidates.length} documents start with this; give more characters:</p>${table(
      ['Document', 'Event', 'State'],
      match.candidates
        .slice(0, 50)
        .map((s) => [`<a href="/documents?q=${encodeURIComponent(s.documentId)}">${esc(s.documentId)}</a>`, esc(s.eventId), esc(s.state)]),
    )}`;
  else if (match?.kind === 'too-short') result = '<p class="notmet" id="not-found">Give a whole id, or 8 characters or more of one.</p>';
  else if (match?.kind === 'not-found') result = '<p class="notmet" id="not-found">No document id or event id is or starts with this.</p>';
  return layout(
    'Documents',
    '/documents',
    `<form method="get" action="/documents"><label>Document id, event id or a prefix (8 characters or more)
<input name="q" id="q" size="60" value="${esc(query)}"></label> <button id="search">Search</button></form>${result}`,
    ctx,
  );
}

const replayLink = (params: Record<string, string>, label: string, id: string) =>
  `<a id="${esc(id)}" href="/dead-letters/replay?${new URLSearchParams(params).toString()}">${esc(label)}</a>`;

export function deadLettersPage(letters: DeadLetter[], code: string | undefined, ctx: PageContext, flash?: string): string {
  const waiting = letters.filter((d) => !d.replayed);
  const byCode = new Map<string, number>();
  for (const d of waiting) byCode.set(d.errorCode, (byCode.get(d.errorCode) ?? 0) + 1);
  const shown = letters.filter((d) => !code || d.errorCode === code);
  return layout(
    'Dead letters',
    '/dead-letters',
    `${flash ? `<p class="met" id="flash">${esc(flash)}</p>` : ''}
<h2>Waiting, by code</h2>${
      byCode.size
        ? table(
            ['Code', 'Waiting', ''],
            [...byCode].map(([c, n]) => [
              `<a href="/dead-letters?code=${encodeURIComponent(c)}">${esc(c)}</a>`,
              String(n),
              replayLink({ code: c }, `Replay all ${n} ${c}`, `replay-code-${c}`),
            ]),
            'codes',
          ) + `<p>${replayLink({ all: '1' }, `Replay all ${waiting.length} waiting`, 'replay-all')}</p>`
        : '<p id="codes">None waiting.</p>'
    }
<h2>${code ? `Code ${esc(code)}` : 'All'} (${shown.length})</h2>${table(
      ['Dead letter', 'Code', 'Class', 'Attempt', 'First failure', 'Document', 'State', ''],
      shown.map((d) => [
        `<code>${esc(d.id)}</code>`,
        esc(d.errorCode),
        esc(d.errorClass),
        String(d.attempt),
        d.firstFailureAt ? iso(d.firstFailureAt) : '',
        d.documentId ? `<a href="/documents?q=${encodeURIComponent(d.documentId)}">${esc(d.documentId)}</a>` : '',
        d.replayed ? 'replayed' : 'waiting',
        d.replayed ? '' : replayLink({ id: d.id }, 'Replay', `replay-${d.id}`),
      ]),
      'letters',
    )}`,
    ctx,
  );
}

export function confirmReplayPage(chosen: DeadLetter[], filter: { id?: string; code?: string; all?: boolean }, ctx: PageContext): string {
  const what = filter.id
    ? `dead letter ${filter.id}`
    : filter.code
      ? `every waiting dead letter with code ${filter.code}`
      : 'every waiting dead letter';
  const hidden = Object.entries({ id: filter.id, code: filter.code, all: filter.all ? '1' : undefined })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`)
    .join('');
  return layout(
    'Confirm the replay',
    '/dead-letters',
    `<p>Replay ${esc(what)}: <strong id="count">${chosen.length}</strong> record(s) go back to the topic they failed on and start their retry tiers afresh. Replaying twice replays nothing the second time.</p>
${table(
  ['Dead letter', 'Code', 'Back to'],
  chosen.map((d) => [`<code>${esc(d.id)}</code>`, esc(d.errorCode), esc(d.originTopic)]),
  'chosen',
)}
<form method="post" action="/dead-letters/replay">${hidden}<input type="hidden" name="csrf" value="${esc(ctx.csrf)}">
<button type="submit" id="confirm"${chosen.length ? '' : ' disabled'}>Replay ${chosen.length}</button> <a href="/dead-letters" id="cancel">Cancel</a></form>`,
    ctx,
  );
}

/** Bars of each indicator's rate against its target line (inline SVG: no script, no library). */
export function usageChart(p: PharmacyUsage): string {
  const W = 420;
  const row = 34;
  const left = 120;
  const scale = (r: number) => left + (W - left - 20) * Math.min(1, r);
  const bars = p.indicators.map((i, n) => {
    const y = 10 + n * row;
    const rate = i.rate ?? 0;
    const colour = i.met === null ? '#adb5bd' : i.met ? '#2b8a3e' : '#c92a2a';
    const tx = scale(i.targetPercent / 100);
    return `<text x="0" y="${y + 15}" font-size="12">${esc(i.id)}</text>
<rect x="${left}" y="${y}" width="${W - left - 20}" height="20" fill="#f1f3f5"/>
<rect class="bar" data-indicator="${esc(i.id)}" x="${left}" y="${y}" width="${(scale(rate) - left).toFixed(1)}" height="20" fill="${colour}"/>
<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y - 3}" y2="${y + 23}" stroke="#000" stroke-width="2"><title>target ${i.targetPercent} %</title></line>
<text x="${(scale(rate) + 4).toFixed(1)}" y="${y + 15}" font-size="11">${i.rate === null ? 'no documents' : `${(100 * rate).toFixed(1)} %`}</text>`;
  });
  return `<svg class="chart" role="img" aria-label="usage indicators of ${esc(p.finess)} in ${esc(p.month)} against their targets" width="${W + 80}" height="${10 + row * p.indicators.length}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}</svg>`;
}

export function usagePage(report: UsageReport, filter: { finess?: string; month?: string }, ctx: PageContext): string {
  const blocks = report.pharmacies.map(
    (
      p,
    ) => `<section class="pharmacy" data-finess="${esc(p.finess)}" data-month="${esc(p.month)}"><h2>Pharmacy ${esc(p.finess)}, ${esc(p.month)}</h2>
<p>${p.documents} documents (${Object.entries(p.byKind)
      .map(([k, n]) => `${esc(k)} ${n}`)
      .join(', ')}); sent ${p.sent}, delivered ${p.delivered}, failed ${p.failed}.</p>
${table(
  ['Indicator', 'Rate', 'Of', 'Target', 'Yearly remuneration', 'Met', 'More documents needed'],
  p.indicators.map((i) => [
    esc(i.label),
    i.rate === null ? '-' : `${(100 * i.rate).toFixed(1)} %`,
    String(i.denominator),
    `${i.targetPercent} %`,
    i.remunerationEur === null ? 'not stated' : `${i.remunerationEur} €`,
    i.met === null ? 'nothing to measure' : i.met ? '<span class="met">met</span>' : '<span class="notmet">not met</span>',
    String(i.missing),
  ]),
)}${usageChart(p)}</section>`,
  );
  return layout(
    'Usage indicators',
    '/usage',
    `<form method="get" action="/usage"><label>FINESS <input name="finess" id="finess" value="${esc(filter.finess ?? '')}"></label>
<label>Month <input name="month" id="month" placeholder="YYYY-MM" value="${esc(filter.month ?? '')}"></label> <button id="filter">Show</button></form>
<p class="note">Per pharmacy and month (Europe/Paris, the month a document entered Passerelle). DMP: delivered to the DMP; MSSanté: an MSSanté route delivered; e-prescription: every prescription counts (the events do not say whether the prescriber is a community one).</p>
${blocks.join('') || '<p id="no-usage">No documents.</p>'}${report.withoutPharmacy ? `<p class="note">${report.withoutPharmacy} documents name no pharmacy (their statuses carry no usage headers: written before them, or by a record that did not come through the composer): not counted.</p>` : ''}`,
    ctx,
  );
}
