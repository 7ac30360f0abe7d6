import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import type { SignedDocument } from '@passerelle/schemas';
import { routerFailureStatus, routerHandler } from './handler';
import { loadMessageSettings } from './messages';
import { loadRoutingConfig } from './routing';

/** Routing rules and message settings from the environment (`PASSERELLE_ROUTE_*`, `PASSERELLE_XDS_*`, `PASSERELLE_MSS_*`). */
export function routerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<SignedDocument> {
  const routing = loadRoutingConfig(env);
  const settings = loadMessageSettings(env);
  return {
    name: 'router',
    inputTopics: ({ topics }) => [topics.signed],
    handler: ({ topics }) => routerHandler({ topics, routing, settings }),
    onFailure: ({ topics }) => routerFailureStatus({ topics }),
  };
}
