import { existsSync, readFileSync } from 'node:fs';
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
  profiles?: string[];
  network_mode?: string;
  command?: string[];
  volumes?: string[];
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
  it('has the two services of the local stack, and only them, outside the observability profile', () => {
    const always = Object.entries(compose.services ?? {}).filter(([, s]) => !s.profiles?.length);
    expect(always.map(([name]) => name).sort()).toEqual(['kafka', 'registry']);
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

/** The observability profile: Prometheus and Grafana with infra/observability's files (docs: README, Observability). */
describe('docker-compose.yml runs Prometheus and Grafana with infra/observability', () => {
  const mounts = (name: string): Map<string, string> =>
    new Map(
      (service(name).volumes ?? []).map((v) => {
        const [source, target, mode] = v.split(':') as [string, string, string];
        expect(mode).toBe('ro');
        return [target, source];
      }),
    );
  const listen = (name: string, flag: string): string | undefined =>
    service(name)
      .command?.find((c) => c.startsWith(`${flag}=`))
      ?.slice(flag.length + 1);

  it('has them only in the observability profile, on the host network (the services listen on its loopback)', () => {
    const profiled = Object.entries(compose.services ?? {}).filter(([, s]) => s.profiles?.length);
    expect(profiled.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    for (const [, s] of profiled) {
      expect(s.profiles).toEqual(['observability']);
      expect(s.network_mode).toBe('host');
      expect(s.ports).toBeUndefined();
    }
  });

  it('mounts files that exist, read-only, where the configurations name them', () => {
    for (const name of ['prometheus', 'grafana']) {
      for (const source of mounts(name).values()) expect(existsSync(join(REPO_ROOT, source))).toBe(true);
    }
    const prom = mounts('prometheus');
    expect(prom.get('/etc/prometheus/prometheus.yml')).toBe('./infra/observability/prometheus/prometheus.yml');
    const config = parse(readFileSync(join(REPO_ROOT, 'infra/observability/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(prom.get('/etc/prometheus/alerts.yml')).toBe('./infra/observability/prometheus/alerts.yml');

    const grafana = mounts('grafana');
    expect(grafana.get('/etc/grafana/provisioning')).toBe('./infra/observability/grafana/provisioning');
    const providers = parse(
      readFileSync(join(REPO_ROOT, 'infra/observability/grafana/provisioning/dashboards/passerelle.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    const dashboards = providers.providers[0]?.options.path as string;
    expect(grafana.get(dashboards)).toBe('./infra/observability/grafana/dashboards');
  });

  it('listens on loopback only, and Grafana reads the Prometheus it runs', () => {
    expect(listen('prometheus', '--web.listen-address')).toBe('127.0.0.1:9090');
    expect(service('grafana').environment?.GF_SERVER_HTTP_ADDR).toBe('127.0.0.1');
    const sources = parse(readFileSync(join(REPO_ROOT, 'infra/observability/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; url: string }[];
    };
    expect(sources.datasources.map((d) => d.url)).toEqual(['http://127.0.0.1:9090']);
    // Every panel of the dashboard reads that data source.
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/observability/grafana/dashboards/passerelle.json'), 'utf8')) as {
      panels: { type: string; datasource?: { uid: string } }[];
    };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) expect(p.datasource?.uid).toBe(sources.datasources[0]?.uid);
  });
});
