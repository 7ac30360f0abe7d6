import { clusterStack } from './cluster-stack';

/** Stops the cluster tests' stack and removes its data (PASSERELLE_CLUSTER_KEEP=1 keeps it running, to look at). */
export default async function globalTeardown(): Promise<void> {
  if (process.env.PASSERELLE_CLUSTER_KEEP === '1') return;
  await clusterStack('reset');
}
