/**
 * A breaker per destination: after `threshold` consecutive failures of the destination itself (timeouts, TLS,
 * 5xx, SOAP faults), it opens and the gateway stops sending: the partitions wait (the stage's deferral pauses them)
 * instead of cycling every record through the retry tiers. After `openMs` one record is let through as a probe
 * (half-open): a success closes the breaker, a failure opens it again for twice as long (up to `maxOpenMs`). Each
 * change is reported once (`onChange`), never per record.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold?: number;
  openMs?: number;
  maxOpenMs?: number;
  now?: () => number;
  onChange?: (state: 'open' | 'closed', detail: { failures: number; retryAt?: number; code?: string }) => void;
}

export class Breaker {
  private failures = 0;
  private openUntil = 0;
  private openFor: number;
  private state: BreakerState = 'closed';
  private readonly threshold: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 5;
    this.baseOpenMs = options.openMs ?? 5_000;
    this.maxOpenMs = options.maxOpenMs ?? 120_000;
    this.openFor = this.baseOpenMs;
    this.now = options.now ?? Date.now;
  }

  /** Whether a record may be sent now; if not, the time until which its partition should wait. */
  admit(): { send: true } | { send: false; until: number } {
    if (this.state === 'closed') return { send: true };
    const now = this.now();
    if (this.state === 'open' && now >= this.openUntil) {
      this.state = 'half-open';
      return { send: true };
    }
    // Half-open: one probe is in flight (the stage handles a partition's records one by one; other partitions wait).
    return { send: false, until: Math.max(now + 100, this.openUntil) };
  }

  succeeded(): void {
    const wasOpen = this.state !== 'closed';
    this.failures = 0;
    this.openFor = this.baseOpenMs;
    this.state = 'closed';
    if (wasOpen) this.options.onChange?.('closed', { failures: 0 });
  }

  /**
   * The record let through as a probe was not sent after all (it failed before reaching the destination: a
   * certificate, a check of the record): the next record is the probe, at once. Nothing changes when not half-open.
   */
  released(): void {
    if (this.state !== 'half-open') return;
    this.state = 'open';
    this.openUntil = this.now();
  }

  /** A failure of the destination; returns true when the breaker is (now) open. */
  failed(code?: string): boolean {
    this.failures += 1;
    const now = this.now();
    if (this.state === 'half-open') {
      this.openFor = Math.min(this.maxOpenMs, this.openFor * 2);
      this.openUntil = now + this.openFor;
      this.state = 'open';
      return true;
    }
    if (this.state === 'closed' && this.failures >= this.threshold) {
      this.openUntil = now + this.openFor;
      this.state = 'open';
      this.options.onChange?.('open', { failures: this.failures, retryAt: this.openUntil, code });
      return true;
    }
    return this.state === 'open';
  }

  /** When an open breaker lets the next probe through */
  get retryAt(): number {
    return this.openUntil;
  }

  get current(): BreakerState {
    return this.state;
  }
}
