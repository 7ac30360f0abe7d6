import { ConfigError } from '@passerelle/errors';
import { createLogger } from '@passerelle/kafka-runtime';
import { CONSOLE_HELP } from './config';
import { startConsole } from './console';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(CONSOLE_HELP);
  process.exit(0);
}

startConsole().then(
  (running) => {
    const stop = () => void running.stop().finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    // About configuration or connectivity: the message names a variable or an address, never the token.
    createLogger('console').fatal({ error: err instanceof Error ? err.message : String(err) }, 'console not started');
    // As the stages: 2 for a configuration the operator must fix, 1 for the rest.
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
