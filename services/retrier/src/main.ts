import { runMain } from '@passerelle/kafka-runtime';
import { retrier } from './service';

runMain('retrier', () => retrier);
