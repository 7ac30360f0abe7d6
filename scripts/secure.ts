/**
 * The secured local Kafka (`bash infra/stack.sh up --secure` runs `prepare` itself, in <run>/secure):
 *   npx tsx scripts/secure.ts prepare <dir> [--nodes N]
 *        a test CA, each of the N Kafka nodes' certificate and key (PEM; N defaults to 1), the registry's, one random
 *        password file per principal (mode 0600)
 *   npx tsx scripts/secure.ts provision [--prefix P]
 *        the pipeline's topics and every principal's ACLs (packages/pipeline/src/acls.ts), through the admin listener:
 *        KAFKA_BROKERS (the PLAINTEXT loopback listener; default the local stack's), PASSERELLE_RETRY_TIERS (the
 *        retry topics' names), --prefix or PASSERELLE_TOPIC_PREFIX
 * Prints counts and paths, never a password. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TIERS, parseTiers } from '@passerelle/kafka-runtime';
import { PRINCIPALS } from '@passerelle/pipeline';
import { LOCAL_BROKERS } from './local-stack';
import { prepareSecrets, provision, secretFiles } from './secure-stack';

const usage = 'usage: npx tsx scripts/secure.ts prepare <dir> [--nodes N] | provision [--prefix P]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { prefix: { type: 'string' }, nodes: { type: 'string' } } });
  const [command, dir] = positionals;
  const nodes = Number(values.nodes ?? '1');
  if (command === 'prepare' && dir && Number.isInteger(nodes) && nodes >= 1) {
    const out = resolve(dir);
    await prepareSecrets(out, nodes);
    const files = secretFiles(out);
    console.log(`CA (KAFKA_SSL_CA_FILE): ${files.ca}`);
    console.log(`each node's key and certificate: ${Array.from({ length: nodes }, (_, i) => files.brokerKeystore(i + 1)).join(' ')}`);
    console.log(`passwords (KAFKA_SASL_PASSWORD_FILE), one per principal: ${PRINCIPALS.map((p) => files.password(p)).join(' ')}`);
    return 0;
  }
  if (command === 'provision' && !dir) {
    const brokers = (process.env.KAFKA_BROKERS ?? LOCAL_BROKERS).split(',').map((b) => b.trim());
    const prefix = values.prefix ?? process.env.PASSERELLE_TOPIC_PREFIX ?? '';
    const tiers = process.env.PASSERELLE_RETRY_TIERS ? parseTiers(process.env.PASSERELLE_RETRY_TIERS) : DEFAULT_TIERS;
    const done = await provision({ adminBrokers: brokers, prefix, tiers });
    console.log(
      `${done.topics} topics (created when missing) and ${done.acls} ACL bindings for ${done.principals} principals on ${brokers.join(',')}`,
    );
    return 0;
  }
  console.error(usage);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`secure: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
