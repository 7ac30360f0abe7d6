import { registryError, registryFailureOf } from './codec';
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

describe("registryFailureOf: the one reading of the registry client's errors", () => {
  const response = (status: number, text: string) => Object.assign(new Error(`passerelle - ${text}`), { name: 'ResponseError', status });

  it('a failed connection, reported by the client as "status 400" with the socket error, is no answer', () => {
    expect(registryFailureOf(response(400, 'Error, status 400: connect ECONNREFUSED 127.0.0.1:1'))).toEqual({
      kind: 'no-answer',
      reason: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(registryFailureOf(new Error('socket hang up'))).toEqual({ kind: 'no-answer', reason: 'socket hang up' });
  });

  it("an answer is its status, a real 400 included; the library's incompatibility error is its own kind", () => {
    expect(registryFailureOf(response(400, 'Error, status 400: {"message":"bad schema"}'))).toEqual({ kind: 'status', status: 400 });
    expect(registryFailureOf(response(404, 'Schema not found'))).toEqual({ kind: 'status', status: 404 });
    expect(registryFailureOf(response(503, 'Error, status 503: Service Unavailable'))).toEqual({ kind: 'status', status: 503 });
    expect(registryFailureOf(Object.assign(new Error('incompatible'), { name: 'ConfluentSchemaRegistryCompatibilityError' }))).toEqual({
      kind: 'incompatible',
    });
    expect(registryFailureOf('what')).toEqual({ kind: 'unknown' });
  });

  it('the codec makes of it: 4xx permanent (404 an unknown schema), anything else transient', () => {
    expect(registryError(response(404, 'not found'), 7)).toMatchObject({ code: 'UNKNOWN_SCHEMA', errorClass: 'permanent' });
    expect(registryError(response(422, 'Invalid schema'))).toMatchObject({ code: 'REGISTRY_REJECTED', errorClass: 'permanent' });
    expect(registryError(response(400, 'Error, status 400: connect ECONNREFUSED 127.0.0.1:1'))).toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
      errorClass: 'transient',
    });
    expect(registryError(response(502, 'Bad gateway'))).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', errorClass: 'transient' });
  });
});
