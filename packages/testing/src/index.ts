export { createTestPki, BROKEN_VARIANTS, type BrokenVariant, type TestPki, type TestPkiOptions } from './test-pki';
export { AUTH_BROKEN_VARIANTS, type AuthBrokenVariant } from './test-pki-auth';
export { createServerTls, type ServerCredential, type ServerTls } from './server-tls';
