// Placeholder until the infra work lands: uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set.
export default async function globalSetup(): Promise<void> {
  if (!process.env.KAFKA_BROKERS) throw new Error('set KAFKA_BROKERS and SCHEMA_REGISTRY_URL');
}
