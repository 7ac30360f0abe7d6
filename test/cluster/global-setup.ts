import { clusterEnv, clusterStack, CLUSTER_NODES } from './cluster-stack';
import { warmUpBroker } from '../support/stack';

/**
 * Starts the cluster tests' own 3-node stack (test/cluster/cluster-stack.ts: its own ports and run directory), empty
 * (`reset` first), and hands its addresses to the tests. The default stack, if any, is left alone.
 */
export default async function globalSetup(): Promise<void> {
  // Jest runs no teardown when the setup fails: the nodes that did start would be left running.
  await start().catch(async (error: unknown) => {
    await clusterStack('reset').catch(() => undefined);
    throw error;
  });
}

async function start(): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  process.env.LOG_LEVEL ??= 'error';
  const started = Date.now();
  await clusterStack('reset');
  const out = await clusterStack('up', '--nodes', String(CLUSTER_NODES));
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(.+)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`infra/stack.sh up did not print ${key}:\n${out}`);
    return m[1];
  };
  process.env.KAFKA_BROKERS = value('KAFKA_BROKERS');
  process.env.SCHEMA_REGISTRY_URL = value('SCHEMA_REGISTRY_URL');
  await warmUpBroker(process.env.KAFKA_BROKERS.split(','));
  const env = clusterEnv();
  process.stderr.write(
    `\n[cluster] ${CLUSTER_NODES} nodes up in ${((Date.now() - started) / 1000).toFixed(1)}s: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} ` +
      `SCHEMA_REGISTRY_URL=${process.env.SCHEMA_REGISTRY_URL} (run directory ${env.PASSERELLE_STACK_RUN})\n`,
  );
}
