import { PasserelleError, type ErrorClass } from '@passerelle/errors';

/**
 * The publisher's errors. Each has a stable `code` and a class (permanent: fix the event or the configuration,
 * retrying cannot help; transient: the broker or registry may come back). Messages name fields, rules, topics and
 * addresses of infrastructure, never a value taken from an event: they end up in logs.
 */

/** One broken rule: the JSON path of the field (`patient.birthDate`, `dispensation.lines[0].quantity.value`)
 * and what the field must be. Never the value. */
export interface Violation {
  path: string;
  rule: string;
  /** Position of the event in a batch (`publishMany`, the command's list of files). */
  index?: number;
}

export type ErrorKind = ErrorClass;

export abstract class PublisherError extends PasserelleError {
  /** The error's class, under the name the publisher's callers know. */
  get kind(): ErrorKind {
    return this.errorClass;
  }
}

const describeViolation = (v: Violation): string =>
  `${v.index === undefined ? '' : `event #${v.index}: `}${v.path || '(event)'}: ${v.rule}`;

/** The event does not fit its topic's schema or a rule of the pipeline; nothing was published. */
export class InvalidEventError extends PublisherError {
  readonly code = 'INVALID_EVENT';
  readonly errorClass = 'permanent';
  constructor(
    readonly violations: Violation[],
    readonly topic?: string,
  ) {
    super(
      `Invalid event${topic ? ` for ${topic}` : ''} (${violations.length} problem${violations.length === 1 ? '' : 's'}): ` +
        violations.map(describeViolation).join('; '),
    );
  }
}

/** No Kafka broker answered within the configured time (connection refused, timeout, no acknowledgement). */
export class BrokerUnavailableError extends PublisherError {
  readonly code = 'BROKER_UNAVAILABLE';
  readonly errorClass = 'transient';
}

/** The schema registry could not be reached, or answered with a server error. */
export class RegistryUnavailableError extends PublisherError {
  readonly code = 'REGISTRY_UNAVAILABLE';
  readonly errorClass = 'transient';
}

/** The registry refused the schema (incompatible change, subject missing and auto-registration off…). */
export class SchemaRejectedError extends PublisherError {
  readonly code = 'SCHEMA_REJECTED';
  readonly errorClass = 'permanent';
}

/** The broker refused the records for a reason that retrying will not fix (unknown topic, record too large…). */
export class PublishRejectedError extends PublisherError {
  readonly code = 'PUBLISH_REJECTED';
  readonly errorClass = 'permanent';
}
