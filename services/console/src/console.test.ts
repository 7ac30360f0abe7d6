import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusMetrics } from '@passerelle/kafka-runtime';
import { Auth } from './auth';
import { loadConsoleConfig } from './config';
import { documentsPage, esc } from './pages';
import { breakersOf } from './pipeline-state';

const dir = mkdtempSync(join(tmpdir(), 'console-unit-'));
const tokenFile = (token: string) => {
  const f = join(dir, `t${Math.random()}`);
  writeFileSync(f, `${token}\n`);
  return f;
};

describe('console configuration', () => {
  it('listens on loopback by default and reads the token from its file', () => {
    const c = loadConsoleConfig({ PASSERELLE_CONSOLE_TOKEN_FILE: tokenFile('a-token-of-twenty-chars') });
    expect(c).toEqual({ host: '127.0.0.1', port: 8088, token: 'a-token-of-twenty-chars', metrics: [] });
  });

  it('refuses a missing, unreadable or short token without printing it, and bad metrics pairs', () => {
    expect(() => loadConsoleConfig({})).toThrow(/PASSERELLE_CONSOLE_TOKEN_FILE is required/);
    expect(() => loadConsoleConfig({ PASSERELLE_CONSOLE_TOKEN_FILE: join(dir, 'none') })).toThrow(/readable file/);
    expect(() => loadConsoleConfig({ PASSERELLE_CONSOLE_TOKEN_FILE: tokenFile('short-secret') })).toThrow(
      /^(?!.*short-secret).*16 characters/,
    );
    const file = tokenFile('a-token-of-twenty-chars');
    expect(() => loadConsoleConfig({ PASSERELLE_CONSOLE_TOKEN_FILE: file, PASSERELLE_CONSOLE_METRICS: 'dmp-gateway' })).toThrow(
      /stage=http/,
    );
    expect(
      loadConsoleConfig({ PASSERELLE_CONSOLE_TOKEN_FILE: file, PASSERELLE_CONSOLE_METRICS: 'dmp-gateway=http://h:1/metrics' }).metrics,
    ).toEqual([{ stage: 'dmp-gateway', url: 'http://h:1/metrics' }]);
  });
});

describe('console login', () => {
  const auth = new Auth('a-token-of-twenty-chars');
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  it('accepts the cookie it set or the bearer token, nothing else', () => {
    const cookie = auth.cookie().split(';')[0] as string;
    expect(cookie).not.toContain('a-token-of-twenty-chars');
    expect(auth.loggedIn(req({ cookie: `other=1; ${cookie}` }))).toBe(true);
    expect(auth.loggedIn(req({ authorization: 'Bearer a-token-of-twenty-chars' }))).toBe(true);
    expect(auth.loggedIn(req({ authorization: 'Bearer a-token-of-twenty-charZ' }))).toBe(false);
    expect(auth.loggedIn(req({ cookie: `${auth.cookieName}=${'0'.repeat(64)}` }))).toBe(false);
    expect(auth.loggedIn(req({}))).toBe(false);
    expect(auth.csrfMatches(auth.csrf)).toBe(true);
    expect(auth.csrfMatches(undefined)).toBe(false);
  });
});

describe('console pages', () => {
  it('reads breaker states from the runtime’s own metrics text', async () => {
    const m = prometheusMetrics('mss-gateway', { defaultMetrics: false });
    m.breaker?.('mss', true);
    m.breaker?.('mss', false);
    expect(breakersOf(await m.text())).toEqual([{ destination: 'mss', open: false }]);
  });

  it('escapes whatever is typed into the search', () => {
    expect(esc(`<script>"'&`)).toBe('&lt;script&gt;&quot;&#39;&amp;');
    const html = documentsPage('<img src=x onerror=alert(1)>', { kind: 'not-found' }, { csrf: 'c' });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
