import { runMain } from '@passerelle/kafka-runtime';
import { mssGatewayFromEnv } from './service';

runMain('mss-gateway', mssGatewayFromEnv);
