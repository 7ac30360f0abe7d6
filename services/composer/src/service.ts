import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import { composerFailureStatus, composerHandler, type LgoEventValue } from './handler';

export const composer: ServiceDefinition<LgoEventValue> = {
  name: 'composer',
  inputTopics: ({ topics }) => [topics.vaccination, topics.dispensation, topics.medicationReview],
  handler: ({ topics, config }) => composerHandler({ topics, testPlatform: config.testPlatform }),
  onFailure: ({ topics }) => composerFailureStatus({ topics }),
};
