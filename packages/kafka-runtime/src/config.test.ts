import { createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { closeConnections, createKafka, kafkajsLogCreator } from './config';
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
    const connecting = admin.connect().then(() => 'connected', (e: Error) => `${e.name}: ${e.message}`);
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
    const entry = (message: string) => ({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message, timestamp: 'now', logger: 'kafkajs', broker: '127.0.0.1:1', stack: 'Error\n    at x' } });
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(0);
    for (let i = 0; i < 5; i++) log(entry('Connection error: connect ECONNREFUSED'));
    log({ ...entry('Restarting the consumer'), level: logLevel.INFO });
    now.mockReturnValue(1_500);
    log(entry('Connection error: connect ECONNREFUSED'));
    now.mockRestore();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:1', msg: 'Connection error: connect ECONNREFUSED' });
    expect(lines[0]).not.toHaveProperty('stack');
    expect(lines[1]).toMatchObject({ level: 40, repeated: 4 });
  });

  it('read as one line each on a console', () => {
    const json = JSON.stringify({ level: 40, name: 'passerelle-operator', component: 'kafkajs', namespace: 'Connection', broker: '127.0.0.1:1', msg: 'Connection error' });
    expect(formatLogLine(json)).toBe('passerelle-operator/kafkajs warn: Connection error (namespace=Connection broker=127.0.0.1:1)\n');
  });
});
