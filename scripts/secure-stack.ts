/**
 * A secured Kafka for the local stack (`bash infra/stack.sh up --secure`): its secrets and its ACLs. The CLI is
 * scripts/secure.ts; the secure tests (test/secure) call these directly.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, ensureTopics, type RetryTier } from '@passerelle/kafka-runtime';
import { pipelineAcls, PRINCIPALS, topicNames, topicsToCreate, type AclRule, type Principal } from '@passerelle/pipeline';
import { createServerTls, type ServerCredential } from '@passerelle/testing';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';

/** What `prepare` writes in its directory. */
export const secretFiles = (dir: string) => ({
  /** The CA that signed the brokers' and the registry's certificates: what clients trust (KAFKA_SSL_CA_FILE) */
  ca: join(dir, 'ca.pem'),
  /** Kafka node `node`'s key (PKCS#8) and certificate in one PEM file: its PEM keystore (infra/stack.sh names it so) */
  brokerKeystore: (node: number) => join(dir, `broker-${node}-keystore.pem`),
  /** The registry's certificate and key, for its HTTPS port (Quarkus reads them from two files) */
  registryCert: join(dir, 'registry-cert.pem'),
  registryKey: join(dir, 'registry-key.pem'),
  /** One file per principal holding its password (KAFKA_SASL_PASSWORD_FILE); the file's name is the SCRAM user */
  password: (principal: Principal) => join(dir, 'passwords', principal),
});

/**
 * Writes a test CA; for each of the `nodes` Kafka nodes a certificate of its own signed by it, with its own key (CN
 * `kafka-<i>`; valid for 127.0.0.1 and localhost, where every node of the local stack listens), and one for the
 * registry; and a random password per principal (192 bits, base64url: no character SCRAM's `name=…,password=…`
 * syntax would split on). Files holding a key or a password are mode 0600, their directories 0700.
 */
export async function prepareSecrets(dir: string, nodes = 1): Promise<void> {
  const files = secretFiles(dir);
  mkdirSync(join(dir, 'passwords'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const local = ['localhost', '127.0.0.1'];
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const tls = await createServerTls([['passerelle-registry', ...local], ...ids.map((i) => [`kafka-${i}`, ...local])]);
  const [registry, ...brokers] = tls.servers as [ServerCredential, ...ServerCredential[]];
  writeFileSync(files.ca, tls.caPem);
  brokers.forEach((b, i) => writeFileSync(files.brokerKeystore(i + 1), b.keyPem + b.certPem, { mode: 0o600 }));
  writeFileSync(files.registryCert, registry.certPem);
  writeFileSync(files.registryKey, registry.keyPem, { mode: 0o600 });
  for (const principal of PRINCIPALS) {
    writeFileSync(files.password(principal), `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
}

/** The environment a principal's client connects with: TLS trusting the stack's CA, SCRAM-SHA-512, its password file. */
export function principalEnv(dir: string, principal: Principal, secureBrokers: string): NodeJS.ProcessEnv {
  const files = secretFiles(dir);
  return {
    KAFKA_BROKERS: secureBrokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: files.ca,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD_FILE: files.password(principal),
  };
}

/** A principal's password, for clients not configured from the environment (tests, the publisher's options). */
export const readPassword = (dir: string, principal: Principal): string =>
  readFileSync(secretFiles(dir).password(principal), 'utf8').trim();

const RESOURCE = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, 'transactional-id': AclResourceTypes.TRANSACTIONAL_ID };
const OPERATION = { read: AclOperationTypes.READ, write: AclOperationTypes.WRITE, describe: AclOperationTypes.DESCRIBE };

/** A rule as Kafka's ACL binding (any host: the listener decides who can connect). */
export const aclEntry = (rule: AclRule): AclEntry => ({
  resourceType: RESOURCE[rule.resource],
  resourceName: rule.name,
  resourcePatternType: rule.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
  principal: `User:${rule.principal}`,
  host: '*',
  operation: OPERATION[rule.operation],
  permissionType: AclPermissionTypes.ALLOW,
});

/**
 * Creates the deployment's topics that are missing and its ACLs ({@link pipelineAcls}), through the admin listener
 * (the PLAINTEXT loopback one, whose ANONYMOUS principal is a super user). Idempotent: Kafka keeps one binding per
 * rule, however often it is created. Returns what it did, for the command's output.
 */
export async function provision(opts: {
  adminBrokers: string[];
  prefix: string;
  tiers: RetryTier[];
}): Promise<{ topics: number; acls: number; principals: number }> {
  const kafka = createKafka({ brokers: opts.adminBrokers, clientId: 'passerelle-provision', ssl: false });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = topicsToCreate(topicNames(opts.prefix), opts.tiers);
    await ensureTopics(admin, topics);
    const rules = pipelineAcls({ prefix: opts.prefix, tiers: opts.tiers });
    await admin.createAcls({ acl: rules.map(aclEntry) });
    return { topics: topics.length, acls: rules.length, principals: new Set(rules.map((r) => r.principal)).size };
  } finally {
    await admin.disconnect();
  }
}
