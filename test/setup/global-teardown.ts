/**
 * Stops what test/setup/global-setup.ts started, and nothing else: the containers it ran, or its lease on the
 * local stack (infra/stack.sh stops the stack when the last lease taken by a test run is released, so an
 * overlapping Jest run keeps its broker; a stack started by hand keeps running). A stack given through
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL is not touched.
 */
export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__PASSERELLE_STACK__;
  if (!started) return;
  globalThis.__PASSERELLE_STACK__ = undefined;
  await started.stop();
}
