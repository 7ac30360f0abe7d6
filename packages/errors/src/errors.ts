/**
 * The one error contract of Passerelle. Every error a package of ours throws on purpose is a PasserelleError: a
 * stable `code` (it travels in headers, metrics and dead-letter listings), its class, and the `cause` it wraps.
 *
 * - permanent: the input is wrong, the same input always fails the same way: dead letter at once, with the reason;
 * - transient: the world is wrong for now (a service down, a certificate not installed yet): retry through the tiers,
 *   then dead letter past the last one.
 *
 * Each subclass states its class. Messages name fields, rules, topics and variables, never a value taken from an
 * event (values are personal health data): they may be logged and carried in headers.
 *
 * This package depends on nothing, so that every other package can import it.
 */
export type ErrorClass = 'permanent' | 'transient';

export interface ErrorOptions {
  cause?: unknown;
}

export abstract class PasserelleError extends Error {
  abstract readonly code: string;
  abstract readonly errorClass: ErrorClass;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** True when trying again later may succeed (a transient error). */
  get retryable(): boolean {
    return this.errorClass === 'transient';
  }
}

/** A permanent failure with a code given where it is thrown (the pipeline's own, e.g. `RECORD_TOO_LARGE`). */
export class PermanentError extends PasserelleError {
  readonly errorClass = 'permanent';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A transient failure with a code given where it is thrown (e.g. `REGISTRY_UNAVAILABLE`). */
export class TransientError extends PasserelleError {
  readonly errorClass = 'transient';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A setting of the environment is missing or wrong: the service must not start. The message is one line that names
 * the variable and what it accepts (never the value given: it may be a secret).
 */
export class ConfigError extends PasserelleError {
  readonly code = 'CONFIG_INVALID';
  readonly errorClass = 'permanent';
  constructor(
    readonly variable: string,
    /** What it accepts, e.g. `must be one of sha1, sha256, sha512 (default sha256)` */
    readonly rule: string,
  ) {
    super(`${variable} ${rule}`);
  }
}
