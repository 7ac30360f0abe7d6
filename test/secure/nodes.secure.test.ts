/**
 * The secure stack is a 3-node cluster, secured on every node: each node's SASL_SSL listener presents a certificate of
 * its own, signed by the stack's CA and valid for the address clients dial; each node knows every principal's SCRAM
 * user (and refuses a wrong password); the ACLs apply on each node (a refused write is refused by the leader of every
 * partition, whichever node that is); the pipeline's topics have 3 replicas and min.insync.replicas=2.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';
import { createKafka, loadRuntimeConfig } from '@passerelle/kafka-runtime';
import { PRINCIPALS, topicNames, type Principal } from '@passerelle/pipeline';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import pino from 'pino';
import { secretFiles } from '../../scripts/secure-stack';
import { PREFIX, secureSettings, SECURE_NODES, serviceEnv } from './secure-stack';

const topics = topicNames(PREFIX);
const silent = pino({ level: 'silent' });
const secureNodes = () => secureSettings().secureBrokers.split(',');
/** A refusal or a login comes within this. */
const BOUND_MS = 15_000;

/** The certificate a node's TLS listener presents, verified against the stack's CA for the address dialled. */
function peerCertificate(address: string): Promise<PeerCertificate> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca: readFileSync(secretFiles(secureSettings().secretsDir).ca), timeout: BOUND_MS });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.once('timeout', () => socket.destroy(new Error(`TLS to ${address}: no handshake within ${BOUND_MS} ms`)));
    socket.once('error', reject);
  });
}

/** A client of `principal` (its TLS and SASL settings as a service reads them) whose only seed is `node`. */
function clientOn(principal: Principal, node: string, password?: string): Kafka {
  const config = loadRuntimeConfig(principal, serviceEnv(principal));
  const sasl = password && config.sasl ? { ...config.sasl, password } : config.sasl;
  return createKafka({ ...config, brokers: [node], sasl }, silent);
}

const errorType = (err: unknown): string => {
  const e = err as { type?: string; name?: string; message?: string };
  return e.type ?? e.name ?? String(e.message);
};

describe(`the secure stack on ${SECURE_NODES} nodes`, () => {
  it('each node presents its own certificate, signed by the stack CA, valid for 127.0.0.1', async () => {
    expect(secureNodes()).toHaveLength(SECURE_NODES);
    const certs = await Promise.all(secureNodes().map(peerCertificate));
    expect(certs.map((c) => c.subject.CN)).toEqual(secureNodes().map((_, i) => `kafka-${i + 1}`));
    expect(new Set(certs.map((c) => c.fingerprint256)).size).toBe(SECURE_NODES);
    for (const c of certs) expect(new X509Certificate(c.raw).checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it.each(secureNodes().map((node, i) => [i + 1, node] as const))(
    'node %i (%s) authenticates every principal and refuses a wrong password',
    async (_, node) => {
      for (const principal of PRINCIPALS) {
        const admin = clientOn(principal, node).admin();
        const started = Date.now();
        await admin.connect();
        await admin.disconnect();
        expect({ principal, ms: Date.now() - started < BOUND_MS }).toEqual({ principal, ms: true });
      }
      const wrong = clientOn('router', node, 'not-the-password').admin();
      const started = Date.now();
      const refused = await wrong.connect().then(
        () => 'connected',
        (err: unknown) => errorType(err),
      );
      await wrong.disconnect();
      expect(refused).toBe('KafkaJSSASLAuthenticationError');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
    },
  );

  it("the ACLs apply on every node: each partition's leader refuses the router's write to documents.signed", async () => {
    const admin = createKafka({ brokers: secureSettings().adminBrokers, clientId: 'nodes-test-admin', ssl: false }).admin();
    await admin.connect();
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [topics.signed] });
    await admin.disconnect();
    const partitions = meta[0]?.partitions ?? [];
    // The router may describe every topic of the deployment (its metadata request passes): the leader refuses the write.
    const producer = clientOn('router', secureNodes()[0] as string).producer();
    await producer.connect();
    const refusals: [number, string][] = [];
    try {
      for (const p of partitions) {
        const started = Date.now();
        const outcome = await producer
          .send({ topic: topics.signed, acks: -1, messages: [{ partition: p.partitionId, key: 'acl-test', value: 'not for the router' }] })
          .then(
            () => 'allowed',
            (err: unknown) => errorType(err),
          );
        expect(Date.now() - started).toBeLessThan(BOUND_MS);
        refusals.push([p.leader, outcome]);
      }
    } finally {
      await producer.disconnect();
    }
    expect(new Set(refusals.map(([leader]) => leader))).toEqual(new Set(Array.from({ length: SECURE_NODES }, (_, i) => i + 1)));
    expect(refusals.map(([, outcome]) => outcome)).toEqual(refusals.map(() => 'TOPIC_AUTHORIZATION_FAILED'));
  });

  it("the pipeline's topics have 3 replicas and min.insync.replicas=2", async () => {
    const admin = createKafka({ brokers: secureSettings().adminBrokers, clientId: 'nodes-test-admin', ssl: false }).admin();
    await admin.connect();
    try {
      const names = [topics.vaccination, topics.composed, topics.signed, topics.dmp, topics.mss, topics.status];
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      for (const t of meta)
        for (const p of t.partitions) expect({ topic: t.name, replicas: p.replicas.length }).toEqual({ topic: t.name, replicas: 3 });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })),
      });
      expect(resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue])).toEqual(names.map((n) => [n, '2']));
    } finally {
      await admin.disconnect();
    }
  });
});
