import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import { retrierHandler } from './handler';

/** Reads every retry tier of every stage's input topics (the catalogue's `retries`) and sends each record back when due. */
export const retrier: ServiceDefinition<Buffer> = pipelineService<Buffer>('retrier', () => ({ handler: retrierHandler() }), { raw: true });
