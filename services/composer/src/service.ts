import { readFlag, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import { composerFailureStatus, composerHandler, type LgoEventValue } from './handler';

/** The variables the composer reads besides the runtime's. */
export const COMPOSER_VARIABLES = ['PASSERELLE_TEST_PLATFORM'] as const;

/** The composer's own settings, from the environment. @throws ConfigError naming the variable and what it accepts */
export function loadComposerConfig(env: NodeJS.ProcessEnv = process.env): { testPlatform: boolean } {
  return { testPlatform: readFlag(env, 'PASSERELLE_TEST_PLATFORM') };
}

/**
 * A sixteenth of the runtime's default fetch per partition: an event of a few KB becomes a CDA of ~25 KB (and its
 * Avro encoding and produce request), and the composer reads 24 partitions (four event topics), all in hand at once.
 * 64 KiB is ~20 events a partition. Draining a backlog of 6,000 events (scripts/bench/drain.bench.ts --stage
 * composer), peak RSS 318–337 MiB with 1 MiB, 244 MiB with 64 KiB, for the same CPU per event (0.81 ms, load 14–18).
 */
export const COMPOSER_FETCH_BYTES = 64 * 1024;

/** The composer, configured from the environment (`PASSERELLE_TEST_PLATFORM`: test and demo INS OIDs accepted). */
export function composerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<LgoEventValue> {
  const { testPlatform } = loadComposerConfig(env);
  return pipelineService<LgoEventValue>(
    'composer',
    ({ topics }) => ({
      handler: composerHandler({ topics, testPlatform }),
      onFailure: composerFailureStatus({ topics }),
    }),
    { maxBytesPerPartition: COMPOSER_FETCH_BYTES },
  );
}
