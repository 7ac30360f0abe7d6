/**
 * Every failure is either permanent (the input is wrong: dead letter at once, with the reason) or transient (the
 * world is wrong for now: retry through the tiers, then dead letter). Errors carry a stable code; their messages name
 * fields and rules, never values, so they may travel in headers and logs.
 */
export type ErrorClass = 'permanent' | 'transient';

export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly errorClass: ErrorClass,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class PermanentError extends PipelineError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'permanent', options);
  }
}

export class TransientError extends PipelineError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'transient', options);
  }
}

export interface Classified {
  code: string;
  errorClass: ErrorClass;
  /** Safe to put in a header or a log: our own messages only; an unknown error is reduced to its type. */
  message: string;
}

/**
 * Maps any thrown value to a class. Our own errors say what they are; an error carrying a string `code` (the
 * domain packages' typed errors: INS, CDA, certificates) is taken with the class `permanentCodes` gives it; anything
 * else is an unexpected error: transient, so that a bug fixed and redeployed lets the record through, and dead
 * lettered after the last tier if not.
 */
export function classify(err: unknown, permanentCode?: (code: string) => boolean): Classified {
  if (err instanceof PipelineError) return { code: err.code, errorClass: err.errorClass, message: err.message };
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    const code = (err as unknown as { code: string }).code;
    const permanent = permanentCode ? permanentCode(code) : true;
    return { code, errorClass: permanent ? 'permanent' : 'transient', message: err.message };
  }
  const type = err instanceof Error ? err.name : typeof err;
  return { code: 'UNEXPECTED', errorClass: 'transient', message: `unexpected ${type}` };
}
