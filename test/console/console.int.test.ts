/**
 * The web console in a real browser (issue 15, item 2): Debian's Chromium, headless, driven by playwright-core,
 * against the console running on the real broker. Login, the pipeline at a glance (a gateway's breaker from its
 * real metrics text), a search by prefix with the document's history, a dead letter replayed after a confirmation
 * (and found back on its topic), the usage page with its chart. Screenshots go to test/console/artifacts/
 * (git-ignored). Every wait is bounded: the browser gets 15 s per action, the whole test 150 s.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startConsole, type RunningConsole } from '@passerelle/console';
import { dlqTopic, H, loadRuntimeConfig, prometheusMetrics, readTopicToEnd } from '@passerelle/kafka-runtime';
import {
  ensurePipelineTopics,
  pipelineCodec,
  pipelineLogger,
  statusRecord,
  topicNames,
  usageHeaders,
  type UsageFacts,
} from '@passerelle/pipeline';
import type { StatusEntry } from '@passerelle/schemas';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testKafka, testStack, uniqueName } from '../support/stack';

jest.setTimeout(150_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, 'artifacts');
const { brokers, registryUrl } = testStack();
const prefix = `${uniqueName('console')}.`;
const topics = topicNames(prefix);
const kafka = testKafka('console-test');
const codec = pipelineCodec(registryUrl);
const TOKEN = 'console-test-token-0123456789';
const FINESS = '330000001';
const NOW = Date.now();
const DOC = `2.25.${NOW}11111`;

const logLines: string[] = [];
let running: RunningConsole;
let metricsServer: Server;
let browser: Browser;
let page: Page;

async function writeStatuses(docs: { id: string; facts: UsageFacts; steps: [string, string, string | null][] }[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const messages = [];
  for (const d of docs) {
    let history: StatusEntry[] = [];
    for (const [i, [state, stage, detail]] of d.steps.entries()) {
      const s = statusRecord(topics.status, {
        documentId: d.id,
        eventId: `ev-${d.id}`,
        state: state as never,
        stage,
        detail,
        history,
        at: NOW - 60_000 + i,
        carry: usageHeaders(d.facts),
      });
      history = [...history, s.entry];
      messages.push({ key: d.id, value: await codec.encode(topics.status, s.record.value), headers: s.record.headers });
    }
  }
  await producer.send({ topic: topics.status, messages });
  // Two dead letters of the DMP gateway's input, as the runtime writes them (the record's bytes, the error's headers).
  const dead = (documentId: string, code: string) => ({
    key: documentId,
    value: Buffer.from(`submission of ${documentId}`),
    headers: {
      [H.eventId]: `ev-${documentId}`,
      [H.documentId]: documentId,
      [H.originTopic]: topics.dmp,
      [H.errorCode]: code,
      [H.errorClass]: 'permanent',
      [H.errorMessage]: `the DMP refused it (${code})`,
      [H.attempt]: '1',
      [H.firstFailureAt]: String(NOW - 30_000),
      [H.lastFailureAt]: String(NOW - 30_000),
    },
  });
  await producer.send({
    topic: dlqTopic(topics.dmp),
    messages: [dead(DOC, 'DMP_REFUSED'), dead(`2.25.${NOW}22222`, 'XDS_REGISTRY_ERROR')],
  });
  await producer.disconnect();
}

const routedSteps = (routes: string): [string, string, string | null][] => [
  ['composed', 'composer', null],
  ['signed', 'signer', null],
  ['routed', 'router', routes],
];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: 15_000 });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const env = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, PASSERELLE_TOPIC_PREFIX: prefix };
  await ensurePipelineTopics(loadRuntimeConfig('console-test', env), topics, undefined, 1);
  const review = { finess: FINESS, kind: 'medication-review' };
  await writeStatuses([
    { id: DOC, facts: review, steps: [...routedSteps('dmp'), ['dead-lettered', 'dmp-gateway', 'DMP_REFUSED']] },
    { id: `2.25.${NOW}33333`, facts: review, steps: [...routedSteps('dmp'), ['delivered', 'dmp-gateway', 'dmp: OK']] },
    {
      id: `2.25.${NOW}44444`,
      facts: { finess: FINESS, kind: 'dispensation', prescription: 'e-prescription' },
      steps: [...routedSteps('mss:patient'), ['delivered', 'mss-gateway', 'mss:patient: 250 q1']],
    },
  ]);

  // The dmp-gateway's metrics as the runtime exports them, with its breaker open.
  const metrics = prometheusMetrics('dmp-gateway', { defaultMetrics: false });
  metrics.breaker?.('dmp', true);
  metricsServer = createServer((_req, res) => void metrics.text().then((t) => res.end(t)));
  await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
  const metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;

  const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const logger = pipelineLogger('console', {
    destination: new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(c.toString()), cb()) }) as never,
  });
  running = await startConsole(
    {
      ...env,
      PASSERELLE_CONSOLE_PORT: '0',
      PASSERELLE_CONSOLE_TOKEN_FILE: join(dir, 'token'),
      PASSERELLE_CONSOLE_METRICS: `dmp-gateway=${metricsUrl}`,
    },
    logger,
  );
  await running.state.view.caughtUp(60_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000, args: ['--no-sandbox'] });
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(15_000);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await running?.stop().catch(() => undefined);
  metricsServer?.close();
}, 120_000);

it('asks for a login, refuses a wrong token, and shows the pipeline at a glance', async () => {
  await page.goto(`${running.url}/`);
  expect(page.url()).toBe(`${running.url}/login`);
  await page.fill('#token', 'wrong-token-wrong-token');
  await page.click('#login');
  expect(await page.textContent('#login-error')).toContain('Wrong token');
  await page.fill('#token', TOKEN);
  await page.click('#login');
  await page.waitForSelector('#throughput');
  expect(await page.textContent('h1')).toBe('Pipeline at a glance');
  expect(await page.textContent('#breakers')).toMatch(/dmp\s*dmp-gateway\s*open/);
  expect(await page.textContent('#dead-letter-codes')).toMatch(/DMP_REFUSED\s*1/);
  expect(await page.textContent('#states')).toMatch(/delivered\s*2/);
  expect(await page.textContent('#throughput')).toMatch(/router\s*3\s*3/);
  await shot('overview');
});

it('finds a document by a prefix of its id and shows its routes and history', async () => {
  await page.goto(`${running.url}/documents`);
  await page.fill('#q', DOC.slice(0, -3));
  await page.click('#search');
  await page.waitForSelector('#history');
  expect(await page.textContent('#state')).toBe('dead-lettered');
  expect(await page.textContent('#routes')).toMatch(/dmp\s*failed\s*DMP_REFUSED/);
  const history = await page.$$eval('#history tbody tr', (rows) =>
    rows.map((r) =>
      [...r.querySelectorAll('td')]
        .slice(1, 3)
        .map((td) => td.textContent ?? '')
        .join(' '),
    ),
  );
  expect(history).toEqual(['composer composed', 'signer signed', 'router routed', 'dmp-gateway dead-lettered']);
  await shot('search');
  await page.fill('#q', '2.25');
  await page.click('#search');
  expect(await page.textContent('#not-found')).toContain('8 characters');
});

it('lists dead letters by code and replays one after a confirmation', async () => {
  await page.goto(`${running.url}/dead-letters`);
  expect(await page.textContent('#codes')).toMatch(/DMP_REFUSED\s*1/);
  expect(await page.textContent('#codes')).toMatch(/XDS_REGISTRY_ERROR\s*1/);
  const id = `${dlqTopic(topics.dmp)}:0:0`;
  await page.click(`[id="replay-${id}"]`);
  await page.waitForSelector('#confirm');
  expect(await page.textContent('h1')).toBe('Confirm the replay');
  expect(await page.textContent('#count')).toBe('1');
  await shot('replay-confirm');
  // Nothing is replayed before the confirmation.
  expect(await readTopicToEnd(kafka, topics.dmp, 20_000)).toHaveLength(0);
  await page.click('#confirm');
  await page.waitForSelector('#flash');
  expect(await page.textContent('#flash')).toBe('1 dead letter(s) replayed.');
  // The console's view learns of the replay from Kafka, a moment later: the page is reloaded until it shows it (≤ 15 s).
  for (let i = 0; i < 30 && !/DMP_REFUSED[\s\S]*replayed/.test((await page.textContent('#letters')) ?? ''); i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.goto(`${running.url}/dead-letters`);
  }
  expect(await page.textContent('#letters')).toMatch(/DMP_REFUSED[\s\S]*replayed/);
  expect(await page.textContent('#codes')).not.toContain('DMP_REFUSED');
  await shot('dead-letters');
  const back = await readTopicToEnd(kafka, topics.dmp, 20_000);
  expect(back.map((r) => r.message.value?.toString())).toEqual([`submission of ${DOC}`]);
  // The action was logged, with the dead letter's id and code, and nothing of the record.
  const replayLog = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.action === 'replay');
  expect(replayLog).toMatchObject({ outcome: 'ok', replayed: [`${id} DMP_REFUSED`] });
  expect(logLines.join('')).not.toContain('submission of');
});

it('shows the usage indicators per pharmacy with a chart against the targets', async () => {
  await page.goto(`${running.url}/usage?finess=${FINESS}`);
  await page.waitForSelector(`section.pharmacy[data-finess="${FINESS}"] svg.chart`);
  const text = await page.textContent(`section.pharmacy[data-finess="${FINESS}"]`);
  expect(text).toContain('3 documents (medication-review 2, dispensation 1)');
  expect(text).toMatch(/DMP: accompaniments and medication reviews feeding the DMP\s*50\.0 %\s*2\s*90 %\s*100 €\s*not met\s*1/);
  expect(text).toMatch(/MSSanté: dispensations giving rise to an MSSanté exchange\s*100\.0 %\s*1\s*5 %\s*240 €\s*met\s*0/);
  const widths = await page.$$eval('svg.chart rect.bar', (bars) =>
    bars.map((b) => [b.getAttribute('data-indicator'), Number(b.getAttribute('width'))]),
  );
  expect(widths.map(([id]) => id)).toEqual(['dmp', 'mss', 'e-prescription']);
  expect(Number(widths[0]?.[1])).toBeCloseTo(Number(widths[1]?.[1]) / 2, 0);
  await shot('usage');
  // The same figures as `passerelle usage` computes (the same ledger).
  const report = running.state.usage({ finess: FINESS });
  expect(report.pharmacies[0]?.indicators[0]).toMatchObject({ numerator: 1, denominator: 2, missing: 1 });
});

it('refuses an action without the login or without the form from the console', async () => {
  const anonymous = await fetch(`${running.url}/dead-letters/replay`, { method: 'POST', body: 'all=1', redirect: 'manual' });
  expect(anonymous.status).toBe(401);
  const forged = await fetch(`${running.url}/dead-letters/replay`, {
    method: 'POST',
    body: 'all=1',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(forged.status).toBe(403);
  expect(await readTopicToEnd(kafka, topics.dmp, 20_000)).toHaveLength(1);
});

it("shows a stage's lag from its consumer group's committed offsets", async () => {
  // The dmp-gateway's group has committed offset 0 of dmp.submissions, where the replayed record waits.
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: `${prefix}passerelle-dmp-gateway`, topic: topics.dmp, partitions: [{ partition: 0, offset: '0' }] });
  await admin.disconnect();
  await page.goto(`${running.url}/`);
  // In offsets, as kafka-consumer-groups counts them: the replayed record and its transaction's commit marker.
  expect(await page.textContent('#lag')).toMatch(/dmp-gateway\s*2(?!\d)/);
  expect(await page.textContent('#lag')).toMatch(/router\s*no group yet/);
});
