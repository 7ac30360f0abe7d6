import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { DeadLetter } from '@passerelle/pipeline';
import { Auth } from './auth';
import { confirmReplayPage, deadLettersPage, documentsPage, esc, layout, loginPage, overviewPage, usagePage } from './pages';
import type { PipelineState } from './pipeline-state';

/**
 * The console's HTTP service: node:http and server-rendered HTML. Four pages and two actions do not need a framework,
 * and node:http has no dependency to keep up to date; pages are strings built from escaped values.
 *
 * Every request is logged once (action, outcome, duration), never with personal data: a search logs whether it found
 * something, not what was typed (an operator could paste anything), a replay logs its dead letters' ids and codes.
 */
export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024;

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > MAX_BODY) req.destroy(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'",
    'referrer-policy': 'no-referrer',
    ...headers,
  });
  res.end(html);
}

const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}) => {
  res.writeHead(303, { location: to, ...headers });
  res.end();
};

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export async function startConsoleServer(
  state: PipelineState,
  opts: { host: string; port: number; token: string; logger: Logger },
): Promise<ConsoleServer> {
  const auth = new Auth(opts.token);
  const ctx = { csrf: auth.csrf };
  const log = opts.logger;

  const chosenFor = (letters: DeadLetter[], f: { id?: string; code?: string }) =>
    letters.filter((d) => !d.replayed && (!f.code || d.errorCode === f.code) && (!f.id || d.id === f.id));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown>> {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    if (path === '/login' && req.method === 'GET') {
      send(res, 200, loginPage(false));
      return { action: 'login-page' };
    }
    if (path === '/login' && req.method === 'POST') {
      const form = await readForm(req);
      if (!auth.tokenMatches(form.get('token') ?? '')) {
        send(res, 401, loginPage(true));
        return { action: 'login', outcome: 'refused' };
      }
      redirect(res, '/', { 'set-cookie': auth.cookie() });
      return { action: 'login', outcome: 'ok' };
    }
    if (!auth.loggedIn(req)) {
      if (req.method === 'GET') redirect(res, '/login');
      else send(res, 401, layout('Not logged in', '', '<p><a href="/login">Log in</a></p>'));
      return { action: 'unauthenticated', outcome: 'refused' };
    }
    if (req.method === 'POST') {
      const form = await readForm(req);
      if (!auth.csrfMatches(form.get('csrf') ?? undefined)) {
        send(res, 403, layout('Refused', '', '<p>This form did not come from the console.</p>', ctx));
        return { action: path, outcome: 'csrf-refused' };
      }
      if (path === '/logout') {
        redirect(res, '/login', { 'set-cookie': auth.logoutCookie() });
        return { action: 'logout' };
      }
      if (path === '/dead-letters/replay') {
        const filter = { id: form.get('id') ?? undefined, code: form.get('code') ?? undefined };
        if (!filter.id && !filter.code && form.get('all') !== '1') {
          send(res, 400, layout('Replay', '/dead-letters', '<p>Say which: one, a code, or all.</p>', ctx));
          return { action: 'replay', outcome: 'bad-request' };
        }
        const replayed = await state.replay(filter);
        send(res, 200, deadLettersPage(await state.deadLetters(), undefined, ctx, `${replayed.length} dead letter(s) replayed.`));
        return { action: 'replay', outcome: 'ok', filter, replayed: replayed.map((d) => `${d.id} ${d.errorCode}`) };
      }
    }
    if (req.method !== 'GET') {
      send(res, 405, layout('Not allowed', '', '', ctx));
      return { action: path, outcome: 'method-not-allowed' };
    }
    if (path === '/') {
      send(res, 200, overviewPage(await state.overview(), ctx));
      return { action: 'overview' };
    }
    if (path === '/documents') {
      const q = url.searchParams.get('q') ?? '';
      const match = q ? state.search(q) : undefined;
      send(res, 200, documentsPage(q, match, ctx));
      return { action: 'search', outcome: match?.kind ?? 'form' };
    }
    if (path === '/dead-letters') {
      const code = url.searchParams.get('code') ?? undefined;
      send(res, 200, deadLettersPage(await state.deadLetters(), code, ctx));
      return { action: 'dead-letters', code };
    }
    if (path === '/dead-letters/replay') {
      const filter = {
        id: url.searchParams.get('id') ?? undefined,
        code: url.searchParams.get('code') ?? undefined,
        all: url.searchParams.get('all') === '1',
      };
      if (!filter.id && !filter.code && !filter.all) {
        redirect(res, '/dead-letters');
        return { action: 'replay-confirm', outcome: 'nothing-chosen' };
      }
      const chosen = chosenFor(await state.deadLetters(), filter);
      send(res, 200, confirmReplayPage(chosen, filter, ctx));
      return { action: 'replay-confirm', filter, count: chosen.length };
    }
    if (path === '/usage') {
      const finess = url.searchParams.get('finess')?.trim() || undefined;
      const month = url.searchParams.get('month')?.trim() || undefined;
      const valid = month === undefined || MONTH.test(month);
      send(res, valid ? 200 : 400, usagePage(state.usage({ finess, month: valid ? month : undefined }), { finess, month }, ctx));
      return { action: 'usage', finess, month };
    }
    send(res, 404, layout('Not found', '', '', ctx));
    return { action: 'not-found' };
  }

  const server: Server = createServer((req, res) => {
    const started = Date.now();
    handle(req, res).then(
      (entry) => log.info({ ...entry, method: req.method, status: res.statusCode, ms: Date.now() - started }, 'console request'),
      (err: unknown) => {
        // Kafka or the registry failed: the message is about them, never about a record.
        log.error(
          { method: req.method, path: new URL(req.url ?? '/', 'http://console').pathname, error: (err as Error).message },
          'console request failed',
        );
        if (!res.headersSent)
          send(
            res,
            502,
            layout('Unavailable', '', `<p class="notmet">The pipeline did not answer: ${esc((err as Error).message.split('\n')[0])}</p>`),
          );
        else res.end();
      },
    );
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
