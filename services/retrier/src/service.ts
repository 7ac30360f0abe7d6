import { retryTopic, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { retrierHandler } from './handler';

/** Reads every retry tier of every stage's input topics. */
export const retrier: ServiceDefinition<Buffer> = {
  name: 'retrier',
  raw: true,
  inputTopics: ({ topics, config }) =>
    [topics.vaccination, topics.dispensation, topics.medicationReview, topics.composed, topics.signed].flatMap((t) =>
      config.tiers.map((tier) => retryTopic(t, tier)),
    ),
  handler: () => retrierHandler(),
};
