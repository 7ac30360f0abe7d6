import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMssGatewayConfig } from './config';

const dir = mkdtempSync(join(tmpdir(), 'mssgw-config-'));
const base: NodeJS.ProcessEnv = { PASSERELLE_MSS_SMTP_HOST: 'smtp.mssante.example', PASSERELLE_AUTH_DIR: dir, PASSERELLE_TRUST_DIR: dir };

describe('loadMssGatewayConfig', () => {
  it('reads the defaults', () => {
    expect(loadMssGatewayConfig(base)).toMatchObject({
      smtp: { host: 'smtp.mssante.example', port: 587 },
      connectionTimeoutMs: 10_000,
      socketTimeoutMs: 30_000,
      testPlatform: false,
      breaker: { threshold: 5, openMs: 5_000 },
    });
  });

  it.each([
    [{ PASSERELLE_MSS_SMTP_HOST: undefined }, 'PASSERELLE_MSS_SMTP_HOST'],
    [{ PASSERELLE_MSS_SMTP_HOST: 'smtp://host:587' }, 'PASSERELLE_MSS_SMTP_HOST'],
    [{ PASSERELLE_MSS_SMTP_PORT: '0' }, 'PASSERELLE_MSS_SMTP_PORT'],
    [{ PASSERELLE_MSS_SMTP_PORT: '70000' }, 'PASSERELLE_MSS_SMTP_PORT'],
    [{ PASSERELLE_MSS_SMTP_SERVERNAME: 'a b' }, 'PASSERELLE_MSS_SMTP_SERVERNAME'],
    [{ PASSERELLE_MSS_SERVER_CA: join(dir, 'none.pem') }, 'PASSERELLE_MSS_SERVER_CA'],
    [{ PASSERELLE_AUTH_DIR: join(dir, 'none') }, 'PASSERELLE_AUTH_DIR'],
    [{ PASSERELLE_TRUST_DIR: undefined }, 'PASSERELLE_TRUST_DIR'],
    [{ PASSERELLE_MSS_CONNECT_TIMEOUT_MS: '0' }, 'PASSERELLE_MSS_CONNECT_TIMEOUT_MS'],
    [{ PASSERELLE_MSS_SOCKET_TIMEOUT_MS: 'soon' }, 'PASSERELLE_MSS_SOCKET_TIMEOUT_MS'],
    [{ PASSERELLE_TEST_PLATFORM: 'yes' }, 'PASSERELLE_TEST_PLATFORM'],
    [{ PASSERELLE_MSS_BREAKER_THRESHOLD: '-1' }, 'PASSERELLE_MSS_BREAKER_THRESHOLD'],
    [{ PASSERELLE_MSS_BREAKER_OPEN_MS: '1e3' }, 'PASSERELLE_MSS_BREAKER_OPEN_MS'],
  ])('refuses %j, naming %s', (change, variable) => {
    expect(() => loadMssGatewayConfig({ ...base, ...change })).toThrow(variable);
  });

  it('a server CA file must hold certificates', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not a certificate');
    expect(() => loadMssGatewayConfig({ ...base, PASSERELLE_MSS_SERVER_CA: ca })).toThrow('PASSERELLE_MSS_SERVER_CA');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(loadMssGatewayConfig({ ...base, PASSERELLE_MSS_SERVER_CA: ca }).smtp.serverCa).toContain('BEGIN CERTIFICATE');
  });
});
