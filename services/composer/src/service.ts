import { readFlag, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import { composerFailureStatus, composerHandler, type LgoEventValue } from './handler';

/** The variables the composer reads besides the runtime's. */
export const COMPOSER_VARIABLES = ['PASSERELLE_TEST_PLATFORM'] as const;

/** The composer's own settings, from the environment. @throws ConfigError naming the variable and what it accepts */
export function loadComposerConfig(env: NodeJS.ProcessEnv = process.env): { testPlatform: boolean } {
  return { testPlatform: readFlag(env, 'PASSERELLE_TEST_PLATFORM') };
}

/** The composer, configured from the environment (`PASSERELLE_TEST_PLATFORM`: test and demo INS OIDs accepted). */
export function composerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<LgoEventValue> {
  const { testPlatform } = loadComposerConfig(env);
  return pipelineService<LgoEventValue>('composer', ({ topics }) => ({
    handler: composerHandler({ topics, testPlatform }),
    onFailure: composerFailureStatus({ topics }),
  }));
}
