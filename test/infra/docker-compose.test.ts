import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kafkaImageEnvironment, readStackSettings, REPO_ROOT } from '../support/stack-settings';

/**
 * docker-compose.yml cannot run here (no Docker): this checks that it describes the same stack as infra/stack.sh,
 * reading the settings from infra/ (server.properties, stack.env, pom.xml) rather than repeating them.
 */
interface ComposeService {
  image?: string;
  ports?: string[];
  environment?: Record<string, string | number | boolean>;
}
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services?: Record<string, ComposeService> };
const settings = readStackSettings();
const service = (name: string): ComposeService => {
  const s = compose.services?.[name];
  if (!s) throw new Error(`docker-compose.yml: no service ${name}`);
  return s;
};
const stringValues = (env: ComposeService['environment']): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));

describe('docker-compose.yml mirrors infra/', () => {
  it('has the two services of the local stack, and only them', () => {
    expect(Object.keys(compose.services ?? {}).sort()).toEqual(['kafka', 'registry']);
  });

  it('runs the same Kafka and Apicurio Registry versions as infra/pom.xml', () => {
    expect(service('kafka').image).toBe(`apache/kafka:${settings.kafkaVersion}`);
    expect(service('registry').image).toBe(`apicurio/apicurio-registry:${settings.apicurioVersion}`);
  });

  it('gives Kafka every setting of infra/kafka/server.properties, and no other, listening on all interfaces in the container', () => {
    const expected = {
      ...kafkaImageEnvironment(settings, '127.0.0.1', settings.brokerPort),
      KAFKA_HEAP_OPTS: settings.stack.get('KAFKA_HEAP_OPTS'),
    };
    expect(stringValues(service('kafka').environment)).toEqual(expected);
    // The advertised address is the local stack's own, so clients need not know which of the two runs.
    expect(service('kafka').environment?.KAFKA_ADVERTISED_LISTENERS).toBe(settings.kafka.get('advertised.listeners'));
  });

  it("publishes the broker and the registry on the local stack's ports, on loopback only", () => {
    expect(service('kafka').ports).toEqual([`127.0.0.1:${settings.brokerPort}:${settings.brokerPort}`]);
    expect(service('registry').ports).toEqual([`127.0.0.1:${settings.registryPort}:8080`]);
    expect(settings.stack.get('REGISTRY_HOST')).toBe('127.0.0.1');
    for (const s of Object.values(compose.services ?? {})) {
      for (const p of s.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('keeps the single-broker settings without which consumers hang (checked in server.properties itself)', () => {
    expect(settings.kafka.get('offsets.topic.replication.factor')).toBe('1');
    expect(settings.kafka.get('transaction.state.log.replication.factor')).toBe('1');
    expect(settings.kafka.get('transaction.state.log.min.isr')).toBe('1');
    expect(Number(settings.kafka.get('message.max.bytes'))).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(settings.kafka.get('listeners')).toBe(
      `PLAINTEXT://127.0.0.1:${settings.brokerPort},CONTROLLER://127.0.0.1:${settings.controllerPort}`,
    );
  });
});
