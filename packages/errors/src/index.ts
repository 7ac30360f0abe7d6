export {
  PasserelleError, PermanentError, TransientError, ConfigError, isPasserelleError, type ErrorClass, type ErrorOptions,
} from './errors';
