import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError } from '@passerelle/errors';
import { BOUNDED_RETRIES_WARNING, closeConnections, createKafka, kafkajsLogCreator, loadRuntimeConfig } from './config';
import { DEFAULT_TIERS } from './topics';
import { formatLogLine } from './logger';
import { logLevel } from 'kafkajs';

describe('closeConnections', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    // A "broker" that accepts connections and never answers: a request to it waits for requestTimeout (30 s).
    server = createServer((s) => void accepted.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends a request that would wait for a silent broker, and every reconnection after it', async () => {
    const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'close-test', ssl: false }, pino({ level: 'silent' }));
    const admin = kafka.admin();
    const connecting = admin.connect().then(
      () => 'connected',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    for (let waited = 0; accepted.length === 0 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(accepted.length).toBeGreaterThan(0);
    expect(closeConnections(kafka)).toBeGreaterThan(0);
    // Without closeConnections the request would wait its 30 s and kafkajs would then carry on as if connected. Now it
    // fails with a connection error at once, and each of kafkajs's retries fails before reaching the server.
    await expect(connecting).resolves.toMatch(/^KafkaJS\w+: Connection error: connection closed by its owner/);
    expect(accepted).toHaveLength(1);
  }, 60_000);
});

describe('kafkajs log lines', () => {
  it('go through pino as warnings, a repeated one summarised with its count, without stack traces', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const log = kafkajsLogCreator(logger, 1_000)(logLevel.INFO);
    const entry = (message: string) => ({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message, timestamp: 'now', logger: 'kafkajs', broker: '127.0.0.1:1', stack: 'Error\n    at x' },
    });
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(0);
    for (let i = 0; i < 5; i++) log(entry('Connection error: connect ECONNREFUSED'));
    log({ ...entry('Restarting the consumer'), level: logLevel.INFO });
    now.mockReturnValue(1_500);
    log(entry('Connection error: connect ECONNREFUSED'));
    now.mockRestore();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 40,
      component: 'kafkajs',
      namespace: 'Connection',
      broker: '127.0.0.1:1',
      msg: 'Connection error: connect ECONNREFUSED',
    });
    expect(lines[0]).not.toHaveProperty('stack');
    expect(lines[1]).toMatchObject({ level: 40, repeated: 4 });
  });

  it("leaves out kafkajs's warning about bounded retries of idempotent producers (all transactional here), and only it", () => {
    const lines: Record<string, unknown>[] = [];
    const log = kafkajsLogCreator(pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) }))(logLevel.INFO);
    const warning = (namespace: string, message: string) => ({
      namespace,
      level: logLevel.WARN,
      label: 'WARN',
      log: { message, timestamp: 'now', logger: 'kafkajs' },
    });
    log(warning('Producer', BOUNDED_RETRIES_WARNING));
    log(warning('Producer', 'Some other producer warning'));
    log(warning('Consumer', BOUNDED_RETRIES_WARNING));
    expect(lines.map((l) => [l.namespace, l.msg])).toEqual([
      ['Producer', 'Some other producer warning'],
      ['Consumer', BOUNDED_RETRIES_WARNING],
    ]);
  });

  it('read as one line each on a console', () => {
    const json = JSON.stringify({
      level: 40,
      name: 'passerelle-operator',
      component: 'kafkajs',
      namespace: 'Connection',
      broker: '127.0.0.1:1',
      msg: 'Connection error',
    });
    expect(formatLogLine(json)).toBe('passerelle-operator/kafkajs warn: Connection error (namespace=Connection broker=127.0.0.1:1)\n');
  });
});

describe('loadRuntimeConfig', () => {
  const base = { KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092', SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7' };
  const refused = (env: NodeJS.ProcessEnv) => {
    try {
      loadRuntimeConfig('test', env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads every setting, with defaults for the optional ones', () => {
    expect(loadRuntimeConfig('signer', base)).toEqual({
      brokers: ['kafka-1:9092', 'kafka-2:9092'],
      registryUrl: 'https://registry.example/apis/ccompat/v7',
      clientId: 'passerelle-signer',
      ssl: false,
      sasl: undefined,
      tiers: DEFAULT_TIERS,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      topicPrefix: '',
      logLevel: 'info',
    });
    const full = loadRuntimeConfig('router', {
      ...base,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'router',
      KAFKA_SASL_PASSWORD: 's3cret',
      PASSERELLE_RETRY_TIERS: '2s,5s',
      PASSERELLE_METRICS_PORT: '9464',
      PASSERELLE_METRICS_HOST: '0.0.0.0',
      PASSERELLE_TOPIC_PREFIX: 'tenant-a.',
      LOG_LEVEL: 'warn',
      PASSERELLE_TRANSACTIONS: 'shared',
    });
    expect(full).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'router', password: 's3cret' },
      tiers: [
        { name: '2s', delayMs: 2_000 },
        { name: '5s', delayMs: 5_000 },
      ],
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      topicPrefix: 'tenant-a.',
      logLevel: 'warn',
      transactions: 'shared',
    });
  });

  it('trusts the CA certificates of KAFKA_SSL_CA_FILE (TLS on), and refuses them without KAFKA_SSL=true', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-ca-'));
    const file = join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(file, pem);
    try {
      expect(loadRuntimeConfig('router', { ...base, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file }).ssl).toEqual({ ca: [pem] });
      expect(refused({ ...base, KAFKA_SSL_CA_FILE: file })).toBe('KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true: set KAFKA_SSL=true');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('trusts the CA certificates of SCHEMA_REGISTRY_CA_FILE for an https registry, and refuses them for an http one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-ca-'));
    const file = join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(file, pem);
    try {
      const https = { ...base, SCHEMA_REGISTRY_URL: 'https://registry.example:8443/apis/ccompat/v7', SCHEMA_REGISTRY_CA_FILE: file };
      expect(loadRuntimeConfig('router', https).registryCa).toBe(pem);
      expect(refused({ ...base, SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7', SCHEMA_REGISTRY_CA_FILE: file })).toBe(
        'SCHEMA_REGISTRY_CA_FILE is set but SCHEMA_REGISTRY_URL is not https: give the https URL',
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('has no default cluster nor registry: a service never talks to a broker it was not told of', () => {
    expect(refused({ SCHEMA_REGISTRY_URL: base.SCHEMA_REGISTRY_URL })).toBe('KAFKA_BROKERS is required: host:port[,host:port…]');
    expect(refused({ KAFKA_BROKERS: base.KAFKA_BROKERS })).toMatch(/^SCHEMA_REGISTRY_URL is required: /);
  });

  it.each([
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS must be host:port[,host:port…]'],
    [{ SCHEMA_REGISTRY_URL: 'registry:8081' }, 'SCHEMA_REGISTRY_URL must be an http(s) URL of a Confluent-compatible registry API'],
    [{ KAFKA_SSL: 'yes' }, 'KAFKA_SSL must be one of true, false (default false)'],
    [
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' },
      "KAFKA_SSL_CA_FILE must name a readable PEM file of the CA certificates of the brokers' TLS listeners",
    ],
    [
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(__dirname, '..', 'package.json') },
      'KAFKA_SSL_CA_FILE must name a PEM file of CA certificates',
    ],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512 (unset: no SASL)'],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM',
    ],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' },
      'KAFKA_SASL_PASSWORD_FILE must name a readable file',
    ],
    [{ PASSERELLE_RETRY_TIERS: '5s,1 minute' }, 'PASSERELLE_RETRY_TIERS must be durations like 5s,1m,10m,1h (units ms, s, m, h)'],
    [{ PASSERELLE_METRICS_PORT: '70000' }, 'PASSERELLE_METRICS_PORT must be a port number 0-65535 (default 0)'],
    [{ PASSERELLE_TOPIC_PREFIX: 'a/b' }, 'PASSERELLE_TOPIC_PREFIX must hold only letters, digits, ".", "_" and "-"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (default info)'],
    [{ PASSERELLE_TRANSACTIONS: 'batch' }, "PASSERELLE_TRANSACTIONS must be one of per-partition, shared (unset: the service's own)"],
  ])('refuses %j with one line naming the variable and what it accepts', (bad, message) => {
    expect(refused({ ...base, ...bad })).toBe(message);
  });

  it('never puts the value given in its message (it may be a secret)', () => {
    expect(refused({ ...base, KAFKA_SASL_MECHANISM: 'hunter2' })).not.toContain('hunter2');
  });
});
