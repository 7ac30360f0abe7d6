/**
 * The secure tests' own stack: infra/stack.sh up --secure on 3 nodes (as the cluster tests', so topics get 3 replicas
 * and min.insync.replicas=2), with ports and a run directory of its own, so that it never touches the default stack
 * (19092/18081, infra/.run) nor another test's. Ports from PASSERELLE_SECURE_BASE_PORT (default 24092; below the ephemeral port range, 32768–60999 on Linux, from which an outgoing connection may take a port): node i's
 * PLAINTEXT on BASE+2(i-1), its controller one above, its SASL_SSL on BASE+6+(i-1) (24092–24097, then 24098–24100);
 * PASSERELLE_SECURE_REGISTRY_PORT (24181; HTTPS one above); run directory PASSERELLE_SECURE_RUN (default
 * infra/.run-secure-test).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafka, loadRuntimeConfig, parseTiers } from '@passerelle/kafka-runtime';
import type { Principal } from '@passerelle/pipeline';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { principalEnv, secretFiles } from '../../scripts/secure-stack';
import { INFRA_DIR } from '../support/stack-settings';

const run = promisify(execFile);

/** Every topic, group and transactional id of the secure tests starts with it (the ACLs are provisioned for it). */
export const PREFIX = 'sec.';
/** The retry tiers the ACLs are provisioned for (they name the retry topics) and the pipeline runs with. */
export const TIERS_SPEC = '2s,5s';
export const TIERS = parseTiers(TIERS_SPEC);

/** Kafka nodes of the secure stack: each its own SASL_SSL listener and certificate, the users and ACLs cluster-wide. */
export const SECURE_NODES = 3;

export const secureStackEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PASSERELLE_KAFKA_BASE_PORT: process.env.PASSERELLE_SECURE_BASE_PORT ?? '24092',
  PASSERELLE_REGISTRY_PORT: process.env.PASSERELLE_SECURE_REGISTRY_PORT ?? '24181',
  PASSERELLE_STACK_RUN: process.env.PASSERELLE_SECURE_RUN ?? join(INFRA_DIR, '.run-secure-test'),
  PASSERELLE_KAFKA_NODES: String(SECURE_NODES),
});

/** Runs `bash infra/stack.sh <args>` on the secure tests' stack; its output. */
export async function secureStack(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(INFRA_DIR, 'stack.sh'), ...args], {
    env: secureStackEnv(),
    timeout: 400_000,
    maxBuffer: 1 << 20,
  });
  return stdout.trim();
}

/** What the global setup hands the tests (through the environment). */
export function secureSettings(): {
  adminBrokers: string[];
  secureBrokers: string;
  registryUrl: string;
  /** The registry's HTTPS URL (the services' and the publisher's, trusting the stack's CA) */
  secureRegistryUrl: string;
  secretsDir: string;
} {
  const need = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the secure tests with npm run test:secure (test/secure/global-setup.ts sets it)`);
    return v;
  };
  return {
    adminBrokers: need('KAFKA_BROKERS').split(','),
    secureBrokers: need('PASSERELLE_SECURE_BROKERS'),
    registryUrl: need('SCHEMA_REGISTRY_URL'),
    secureRegistryUrl: need('PASSERELLE_SECURE_REGISTRY_URL'),
    secretsDir: need('PASSERELLE_SECURE_DIR'),
  };
}

/** The environment a service runs with as `principal`: TLS + SCRAM on the secure listener, by configuration only. */
export function serviceEnv(principal: Principal): NodeJS.ProcessEnv {
  const s = secureSettings();
  return {
    ...principalEnv(s.secretsDir, principal, s.secureBrokers),
    SCHEMA_REGISTRY_URL: s.secureRegistryUrl,
    SCHEMA_REGISTRY_CA_FILE: secretFiles(s.secretsDir).ca,
  };
}

/** A kafkajs client connected as `principal`, configured as a service is (loadRuntimeConfig over {@link serviceEnv}). */
export const clientAs = (principal: Principal, logger?: Logger): Kafka =>
  createKafka(loadRuntimeConfig(principal, serviceEnv(principal)), logger);
