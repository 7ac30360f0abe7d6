import { EVENT_TOPICS } from '@passerelle/schemas';
import { RegistryUnavailableError, SchemaRejectedError } from './errors';
import { registryFailure } from './publisher';

const URL = 'http://127.0.0.1:1/apis/ccompat/v7';
const TOPIC = EVENT_TOPICS.vaccination;
const SUBJECT = `${TOPIC}-value`;

/** What the registry library (mappersmith's error middleware) throws: `<client> - <body message or Error, status N: body>`. */
const responseError = (status: number, text: string) =>
  Object.assign(new Error(`passerelle-publish-cli - ${text}`), { name: 'ResponseError', status });

describe('registryFailure', () => {
  it('a connection that failed is the registry unreachable at its address, with the socket error and no HTTP status', () => {
    const err = registryFailure(responseError(400, 'Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), URL, TOPIC, SUBJECT);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect(err.message).toBe(`Schema registry unreachable at ${URL}: connect ECONNREFUSED 127.0.0.1:1`);
    expect(err.message).not.toMatch(/status 400|HTTP/);
    for (const text of ['socket hang up', 'getaddrinfo ENOTFOUND registry.invalid', 'connect ETIMEDOUT 10.0.0.1:8081']) {
      expect(registryFailure(responseError(400, `Error, status 400: ${text}`), URL, TOPIC, SUBJECT).message).toBe(
        `Schema registry unreachable at ${URL}: ${text}`,
      );
    }
  });

  it('an answer of 4xx is the schema refused (permanent); 5xx is the registry failing (transient), with the status', () => {
    const refused = registryFailure(responseError(422, 'Invalid schema'), URL, TOPIC, SUBJECT);
    expect(refused).toBeInstanceOf(SchemaRejectedError);
    expect(refused.message).toContain('(HTTP 422)');
    const failing = registryFailure(responseError(503, 'Error, status 503: Service Unavailable'), URL, TOPIC, SUBJECT);
    expect(failing).toBeInstanceOf(RegistryUnavailableError);
    expect(failing.message).toMatch(new RegExp(`^Schema registry at ${URL.replace(/[.]/g, '\\.')} failed \\(HTTP 503\\)`));
  });

  it('an incompatible schema names the subject; an error already mapped is kept', () => {
    const incompatible = Object.assign(new Error('Schema being registered is incompatible'), {
      name: 'ConfluentSchemaRegistryCompatibilityError',
    });
    expect(registryFailure(incompatible, URL, TOPIC, SUBJECT)).toMatchObject({
      code: 'SCHEMA_REJECTED',
      message: expect.stringContaining(SUBJECT),
    });
    const timedOut = new RegistryUnavailableError(`Schema registry at ${URL} did not answer within 10000 ms`);
    expect(registryFailure(timedOut, URL, TOPIC, SUBJECT)).toBe(timedOut);
  });
});
