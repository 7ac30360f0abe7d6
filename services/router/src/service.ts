import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import type { SignedDocument } from '@passerelle/schemas';
import { routerFailureStatus, routerHandler } from './handler';
import { loadMessageSettings } from './messages';
import { loadRoutingConfig } from './routing';

/** The variables the router reads besides the runtime's ({@link loadRoutingConfig}, {@link loadMessageSettings}). */
export const ROUTER_VARIABLES = [
  'PASSERELLE_ROUTE_<KIND>_DMP',
  'PASSERELLE_ROUTE_<KIND>_PATIENT',
  'PASSERELLE_ROUTE_<KIND>_PROFESSIONALS',
  'PASSERELLE_XDS_SOURCE_ID',
  'PASSERELLE_XDS_CONTENT_TYPE_CODE',
  'PASSERELLE_MSS_PRODUCT_REFERENCE',
  'PASSERELLE_VENDOR_NAME',
  'PASSERELLE_VENDOR_CONTACT',
  'PASSERELLE_PRODUCT_NAME',
  'PASSERELLE_PRODUCT_VERSION',
] as const;

/** Routing rules and message settings from the environment (`PASSERELLE_ROUTE_*`, `PASSERELLE_XDS_*`, `PASSERELLE_MSS_*`). */
export function routerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<SignedDocument> {
  const routing = loadRoutingConfig(env);
  const settings = loadMessageSettings(env);
  return pipelineService<SignedDocument>('router', ({ topics }) => ({
    handler: routerHandler({ topics, routing, settings }),
    onFailure: routerFailureStatus({ topics }),
  }));
}
