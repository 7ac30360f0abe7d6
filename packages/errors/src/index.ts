export { PasserelleError, PermanentError, TransientError, ConfigError, type ErrorClass, type ErrorOptions } from './errors';
