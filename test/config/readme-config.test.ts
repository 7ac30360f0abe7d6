/**
 * The README's configuration table lists exactly the variables the loaders read: each loader declares its variables,
 * reads no other (checked by running it over an environment that records what is read), and the table names each one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSER_VARIABLES, loadComposerConfig } from '@passerelle/composer';
import { DMP_GATEWAY_VARIABLES, loadDmpGatewayConfig } from '@passerelle/dmp-gateway';
import { loadRuntimeConfig, RUNTIME_VARIABLES } from '@passerelle/kafka-runtime';
import { loadMssGatewayConfig, MSS_GATEWAY_VARIABLES } from '@passerelle/mss-gateway';
import { loadMessageSettings, loadRoutingConfig, ROUTER_VARIABLES } from '@passerelle/router';
import { loadSignerConfig, SIGNER_VARIABLES } from '@passerelle/signer';

const DECLARED: readonly string[] = [
  ...RUNTIME_VARIABLES,
  ...COMPOSER_VARIABLES,
  ...SIGNER_VARIABLES,
  ...ROUTER_VARIABLES,
  ...DMP_GATEWAY_VARIABLES,
  ...MSS_GATEWAY_VARIABLES,
];

/** `PASSERELLE_ROUTE_<KIND>_DMP` matches `PASSERELLE_ROUTE_DISPENSATION_DMP`. */
const matches = (declared: string, name: string) => new RegExp(`^${declared.replace(/<[A-Z]+>/g, '[A-Z0-9_]+')}$`).test(name);

/** Runs `load` over `env` and returns the names it read. */
function readBy(load: (env: NodeJS.ProcessEnv) => unknown, env: NodeJS.ProcessEnv): string[] {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  load(recording);
  return [...read];
}

function readmeVariables(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.split('## Configuration (environment)')[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

describe('the configuration table of the README', () => {
  it('lists exactly the variables the loaders declare', () => {
    expect([...readmeVariables()].sort()).toEqual([...DECLARED].sort());
  });

  it('the loaders read no variable they do not declare', () => {
    const dir = __dirname;
    const env: NodeJS.ProcessEnv = {
      KAFKA_BROKERS: 'kafka:9092',
      SCHEMA_REGISTRY_URL: 'https://registry.example',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      PASSERELLE_KEYSTORE_DIR: dir,
      PASSERELLE_TRUST_DIR: dir,
      PASSERELLE_ROUTE_DISPENSATION_DMP: 'true',
      PASSERELLE_XDS_SOURCE_ID: '1.2.3',
      PASSERELLE_MSS_PRODUCT_REFERENCE: 'P',
      PASSERELLE_VENDOR_NAME: 'V',
      PASSERELLE_VENDOR_CONTACT: 'c',
      PASSERELLE_DMP_ENDPOINT: 'https://dmp.example/repository',
      PASSERELLE_AUTH_DIR: dir,
      PASSERELLE_LPS_ID: 'L',
      PASSERELLE_MSS_SMTP_HOST: 'smtp.mssante.example',
    };
    const read = [
      ...readBy((e) => loadRuntimeConfig('test', e), env),
      ...readBy(loadComposerConfig, env),
      ...readBy(loadSignerConfig, env),
      ...readBy(loadRoutingConfig, env),
      ...readBy(loadMessageSettings, env),
      ...readBy(loadDmpGatewayConfig, env),
      ...readBy(loadMssGatewayConfig, env),
    ];
    expect(read.length).toBeGreaterThan(20);
    expect(read.filter((name) => !DECLARED.some((d) => matches(d, name)))).toEqual([]);
  });
});
