export { createTestPki, BROKEN_VARIANTS, type BrokenVariant, type TestPki, type TestPkiOptions } from './test-pki';
