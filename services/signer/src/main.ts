import { runMain } from '@passerelle/kafka-runtime';
import { signerFromEnv } from './service';

runMain('signer', signerFromEnv);
