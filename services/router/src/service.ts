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

/**
 * A quarter of the runtime's default fetch per partition: a signed document (~10–35 KB) becomes a DMP submission and
 * MSSanté archives that, with their Avro encoding and the produce request, weigh two to three times as much, and all
 * six partitions are in hand at once. With 1 MiB (~40 documents a partition) the router drained a backlog at a peak RSS
 * of 214–227 MiB, with 256 KiB (~10 documents a transaction) at 170–182 MiB, for the same CPU per document
 * (scripts/bench/drain.bench.ts).
 */
export const ROUTER_FETCH_BYTES = 256 * 1024;

/** Routing rules and message settings from the environment (`PASSERELLE_ROUTE_*`, `PASSERELLE_XDS_*`, `PASSERELLE_MSS_*`). */
export function routerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<SignedDocument> {
  const routing = loadRoutingConfig(env);
  const settings = loadMessageSettings(env);
  return pipelineService<SignedDocument>(
    'router',
    ({ topics }) => ({
      handler: routerHandler({ topics, routing, settings }),
      onFailure: routerFailureStatus({ topics }),
    }),
    { maxBytesPerPartition: ROUTER_FETCH_BYTES },
  );
}
