import { readFileSync } from 'node:fs';
import { ConfigError } from '@passerelle/errors';
import { readOptional, readPort, readRequired } from '@passerelle/kafka-runtime';

/** The console's own settings (beside the runtime's: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX…). */
export interface ConsoleSettings {
  /** The address the console listens on: loopback unless said otherwise (an operator reaches it through SSH or a proxy) */
  host: string;
  port: number;
  /** The token an operator logs in with (read from a file, never from the environment: it would show in `ps e`) */
  token: string;
  /** The services' Prometheus endpoints, by stage: where the console reads breaker states and lag as they export them */
  metrics: { stage: string; url: string }[];
}

export const CONSOLE_VARIABLES = [
  'PASSERELLE_CONSOLE_HOST',
  'PASSERELLE_CONSOLE_PORT',
  'PASSERELLE_CONSOLE_TOKEN_FILE',
  'PASSERELLE_CONSOLE_METRICS',
] as const;

export const CONSOLE_HELP = `passerelle console: the operators' web console (services/console)
  PASSERELLE_CONSOLE_HOST        address to listen on (default 127.0.0.1: loopback only)
  PASSERELLE_CONSOLE_PORT        port (default 8088; 0 picks a free one)
  PASSERELLE_CONSOLE_TOKEN_FILE  required: a file holding the login token (16 characters or more, first line)
  PASSERELLE_CONSOLE_METRICS     the services' metrics endpoints, stage=url,… (e.g. dmp-gateway=http://127.0.0.1:9464/metrics):
                                 breaker states come from there; without them the page says they are unknown
and the runtime's: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PASSERELLE_TOPIC_PREFIX, KAFKA_SSL, KAFKA_SASL_*, LOG_LEVEL`;

/** @throws ConfigError naming the variable and what it accepts (never the token). */
export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const tokenFile = readRequired(env, 'PASSERELLE_CONSOLE_TOKEN_FILE', 'a file holding the login token (16 characters or more)');
  let token: string;
  try {
    token = (readFileSync(tokenFile, 'utf8').split('\n')[0] ?? '').trim();
  } catch {
    throw new ConfigError('PASSERELLE_CONSOLE_TOKEN_FILE', 'must be a readable file holding the login token');
  }
  if (token.length < 16)
    throw new ConfigError('PASSERELLE_CONSOLE_TOKEN_FILE', 'must hold a token of 16 characters or more on its first line');
  const metrics = (readOptional(env, 'PASSERELLE_CONSOLE_METRICS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const stage = pair.slice(0, i);
      const url = pair.slice(i + 1);
      if (i <= 0 || !/^https?:\/\//.test(url))
        throw new ConfigError('PASSERELLE_CONSOLE_METRICS', 'must be stage=http(s)://…/metrics pairs, comma-separated');
      return { stage, url };
    });
  return {
    host: readOptional(env, 'PASSERELLE_CONSOLE_HOST') ?? '127.0.0.1',
    port: readPort(env, 'PASSERELLE_CONSOLE_PORT', 8088),
    token,
    metrics,
  };
}
