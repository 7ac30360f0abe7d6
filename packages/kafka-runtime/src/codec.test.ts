import { registryError } from './codec';
import { PermanentError, TransientError } from './errors';

// What @kafkajs/confluent-schema-registry (mappersmith) throws, as observed against Apicurio and a closed port.
const responseError = (status: number, message: string) => Object.assign(new Error(message), { name: 'ResponseError', status });

describe('registry errors', () => {
  it('a closed or unreachable registry is transient, although the client reports it as status 400', () => {
    const err = registryError(responseError(400, 'Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), 7);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
  });

  it('an unknown schema id is permanent', () => {
    const err = registryError(responseError(404, "Confluent_Schema_Registry - No content with ID '99' was found."), 99);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'UNKNOWN_SCHEMA' });
  });

  it('a server error is transient; another client error is permanent', () => {
    expect(registryError(responseError(503, 'Service Unavailable'))).toBeInstanceOf(TransientError);
    expect(registryError(responseError(422, 'Unprocessable'))).toMatchObject({ code: 'REGISTRY_REJECTED' });
  });
});
