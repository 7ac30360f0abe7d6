/** What a stage reports; the service decides where (Prometheus, see @passerelle/kafka-runtime's metrics module). */
export interface StageMetrics {
  consumed(topic: string, outcome: 'ok' | 'failed'): void;
  produced(topic: string, count: number): void;
  failed(topic: string, code: string, outcome: 'retry' | 'dead-letter'): void;
  batch(topic: string, records: number, seconds: number): void;
}
