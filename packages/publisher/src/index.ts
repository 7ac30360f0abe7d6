export {
  PublisherError,
  InvalidEventError,
  BrokerUnavailableError,
  RegistryUnavailableError,
  SchemaRejectedError,
  PublishRejectedError,
  type Violation,
  type ErrorKind,
} from './errors';
export { validateEvent, checkEvent, topicForEvent, type ValidateOptions } from './validate-event';
export { isCalendarDate } from './event-rules';
export { eventKey, type KeySource } from './event-key';
export { newTraceparent, isTraceparent } from './trace-context';
export {
  createPublisher,
  MIN_KEY_SECRET_BYTES,
  HEADERS,
  CONTENT_TYPE,
  PRODUCER_SETTINGS,
  type Publisher,
  type PublisherOptions,
  type PublishOptions,
  type PublishResult,
  type BatchItem,
} from './publisher';
