/**
 * The addresses of the local stack (`bash infra/stack.sh up`): the demo, the in-process pipeline, the load tool and
 * the operator commands use them when the environment names no other. The services themselves have no default.
 */
export const LOCAL_BROKERS = '127.0.0.1:19092';
export const LOCAL_REGISTRY = 'http://127.0.0.1:18081/apis/ccompat/v7';

/** What a command whose broker or registry does not answer tells the user to do. */
export const START_LOCAL_STACK = 'start the local stack with `bash infra/stack.sh up`';

/** `env` (default process.env), with the local stack's addresses where it names none. */
export function withLocalStack(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { KAFKA_BROKERS: LOCAL_BROKERS, SCHEMA_REGISTRY_URL: LOCAL_REGISTRY, ...env };
}
