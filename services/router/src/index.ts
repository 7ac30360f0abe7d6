export * from './handler';
export * from './messages';
export * from './routing';
export * from './service';
