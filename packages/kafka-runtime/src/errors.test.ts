import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { classify, PermanentError, TransientError, kafkaErrorChain } from './errors';

/* eslint-disable @typescript-eslint/no-require-imports */
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };
const createRetry = require('kafkajs/src/retry') as (opts: object) => (fn: () => Promise<unknown>) => Promise<unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

describe('classify', () => {
  it('takes our own errors with the class they state', () => {
    expect(classify(new PermanentError('NOT_AVRO', 'value is not Avro'))).toEqual({
      code: 'NOT_AVRO',
      errorClass: 'permanent',
      message: 'value is not Avro',
    });
    expect(classify(new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable'))).toEqual({
      code: 'REGISTRY_UNAVAILABLE',
      errorClass: 'transient',
      message: 'schema registry unavailable',
    });
  });

  it('a Node system error with a string code (EACCES) is transient, never permanent', () => {
    const err = Object.assign(new Error("EACCES: permission denied, open '/keys/750100208.p12'"), { code: 'EACCES', errno: -13 });
    expect(classify(err)).toEqual({ code: 'UNEXPECTED', errorClass: 'transient', message: 'unexpected Error (EACCES)' });
  });

  it('a real ENOENT from fs.readFileSync is transient, and its path stays out of the message', () => {
    let thrown: unknown;
    try {
      readFileSync(join(tmpdir(), `passerelle-missing-${process.pid}`, 'nothing.p12'));
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('ENOENT');
    const classified = classify(thrown);
    expect(classified).toEqual({ code: 'UNEXPECTED', errorClass: 'transient', message: 'unexpected Error (ENOENT)' });
  });

  it("a library's error with its own code, a bug, or a thrown non-error is transient", () => {
    expect(classify(Object.assign(new Error('bad'), { code: 'some-library-code' }))).toEqual({
      code: 'UNEXPECTED',
      errorClass: 'transient',
      message: 'unexpected Error',
    });
    expect(classify(new TypeError("Cannot read properties of undefined (reading 'x')"))).toEqual({
      code: 'UNEXPECTED',
      errorClass: 'transient',
      message: 'unexpected TypeError',
    });
    expect(classify('oops')).toEqual({ code: 'UNEXPECTED', errorClass: 'transient', message: 'unexpected string' });
  });

  it('an object that only looks like ours (code and errorClass, not a PasserelleError) is foreign', () => {
    const lookalike = Object.assign(new Error('x'), { code: 'INS_MALFORMED', errorClass: 'permanent' });
    expect(classify(lookalike).errorClass).toBe('transient');
  });
});

describe('kafkaErrorChain', () => {
  it("names each error down kafkajs's cause chain, with kafkajs's own messages only", () => {
    const root = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:29092');
    const crash = new KafkaJSNumberOfRetriesExceeded(root, { retryCount: 10, retryTime: 5000 });
    expect(kafkaErrorChain(crash)).toBe(
      'KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:29092 ← KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:29092',
    );
    expect(kafkaErrorChain(new TypeError('patient Dupont'))).toBe('TypeError');
  });

  it("names a protocol error's Kafka type, as kafkajs's retrier gives it up (an ACL refusal)", async () => {
    const refused = createErrorFromCode(29);
    const crash = await createRetry({ retries: 5 })(async () => {
      throw refused;
    }).catch((e: unknown) => e);
    expect(kafkaErrorChain(crash)).toBe(
      'KafkaJSNonRetriableError: Not authorized to access topics: [Topic authorization failed] ← ' +
        'KafkaJSProtocolError TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]',
    );
    expect(kafkaErrorChain(undefined)).toBe('unknown');
  });
});
