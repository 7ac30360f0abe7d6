import { dirname } from 'node:path';
import { provision } from '../../scripts/secure-stack';
import { warmUpBroker } from '../support/stack';
import { PREFIX, secureStack, secureStackEnv, SECURE_NODES, TIERS } from './secure-stack';

/**
 * Starts the secure tests' own stack (test/secure/secure-stack.ts: 3 nodes) from scratch (`reset`, then `up --secure`: new
 * CA, certificate and passwords), provisions the topics and ACLs of the `sec.` deployment through the admin listener,
 * and hands the addresses to the tests. The default stack, if any, is left alone.
 */
export default async function globalSetup(): Promise<void> {
  // Jest runs no teardown when the setup fails: the nodes that did start would be left running.
  await start().catch(async (error: unknown) => {
    await secureStack('reset').catch(() => undefined);
    throw error;
  });
}

async function start(): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  process.env.LOG_LEVEL ??= 'error';
  const started = Date.now();
  await secureStack('reset');
  const out = await secureStack('up', '--secure', '--nodes', String(SECURE_NODES));
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(.+)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`infra/stack.sh up --secure did not print ${key}:\n${out}`);
    return m[1];
  };
  process.env.KAFKA_BROKERS = value('KAFKA_BROKERS');
  process.env.SCHEMA_REGISTRY_URL = value('SCHEMA_REGISTRY_URL');
  process.env.PASSERELLE_SECURE_BROKERS = value('KAFKA_SECURE_BROKERS');
  process.env.PASSERELLE_SECURE_REGISTRY_URL = value('SCHEMA_REGISTRY_TLS_URL');
  // The secrets' directory, scripts/secure.ts prepare's: the CA is one of its files (secretFiles).
  process.env.PASSERELLE_SECURE_DIR = dirname(value('KAFKA_SSL_CA_FILE'));
  const adminBrokers = process.env.KAFKA_BROKERS.split(',');
  await warmUpBroker(adminBrokers);
  const done = await provision({ adminBrokers, prefix: PREFIX, tiers: TIERS });
  process.stderr.write(
    `\n[secure] ${SECURE_NODES} nodes up in ${((Date.now() - started) / 1000).toFixed(1)}s: SASL_SSL ${process.env.PASSERELLE_SECURE_BROKERS}, ` +
      `admin ${process.env.KAFKA_BROKERS}, registry ${process.env.PASSERELLE_SECURE_REGISTRY_URL} (run directory ${secureStackEnv().PASSERELLE_STACK_RUN}); ` +
      `${done.topics} topics, ${done.acls} ACL bindings for ${done.principals} principals (prefix ${PREFIX})\n`,
  );
}
