/**
 * The cluster tests' own stack: infra/stack.sh with ports and a run directory of its own, so that it never touches
 * the default stack (19092/18081, infra/.run) a developer or CI may be running. Ports: PASSERELLE_CLUSTER_BASE_PORT
 * (default 29092: nodes on 29092/29094/29096, controllers one above) and PASSERELLE_CLUSTER_REGISTRY_PORT (28081).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { INFRA_DIR, readStackSettings } from '../support/stack-settings';

const run = promisify(execFile);
export const CLUSTER_NODES = 3;
export const clusterEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PASSERELLE_KAFKA_BASE_PORT: process.env.PASSERELLE_CLUSTER_BASE_PORT ?? '29092',
  PASSERELLE_REGISTRY_PORT: process.env.PASSERELLE_CLUSTER_REGISTRY_PORT ?? '28081',
  PASSERELLE_STACK_RUN: process.env.PASSERELLE_CLUSTER_RUN ?? join(INFRA_DIR, '.run-cluster-test'),
  PASSERELLE_KAFKA_NODES: String(CLUSTER_NODES),
});

/** Runs `bash infra/stack.sh <args>` on the cluster's stack; its output lines. */
export async function clusterStack(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(INFRA_DIR, 'stack.sh'), ...args], {
    env: clusterEnv(),
    timeout: 400_000,
    maxBuffer: 1 << 20,
  });
  return stdout.trim();
}

/** The Kafka client jars of the stack, for the Java helpers. */
export const javaClasspath = join(INFRA_DIR, '.cache', `kafka-${readStackSettings().kafkaVersion}`, 'libs', '*');

/** The active controller (the KRaft quorum's leader), asked with the Java admin client (QuorumLeader.java). */
export async function quorumLeader(brokers: string[]): Promise<number> {
  // A JVM compiling a single-file program on a loaded 2-core machine may need minutes: a generous bound, one retry.
  let last: Error | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const { stdout } = await run('java', ['-cp', javaClasspath, join(__dirname, 'QuorumLeader.java'), brokers.join(',')], {
        timeout: 300_000,
      });
      const id = Number(stdout.trim().split('\n').pop());
      if (Number.isInteger(id) && id >= 1) return id;
      last = new Error(`QuorumLeader.java printed ${stdout}`);
    } catch (err) {
      const e = err as Error & { stderr?: string; signal?: string };
      last = new Error(
        `QuorumLeader.java failed (${e.signal ?? 'exit'}): ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
  }
  throw last;
}

/** How many partitions of `topics` each broker leads, the broker leading most first. */
export async function partitionLeaders(kafka: Kafka, topics: string[]): Promise<[number, number][]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics });
    const counts = new Map<number, number>();
    for (const t of meta) for (const p of t.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]);
  } finally {
    await admin.disconnect();
  }
}

/** Partitions of `topics` whose last stable offset lags the high watermark, and transactions not complete (OpenTransactions.java). */
export async function openTransactions(brokers: string[], topics: string[]): Promise<string> {
  const { stdout } = await run('java', ['-cp', javaClasspath, join(__dirname, 'OpenTransactions.java'), brokers.join(','), ...topics], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `  ${l}`)
    .join('\n');
}
