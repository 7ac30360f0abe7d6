export * from './topology';
export * from './status';
export * from './dead-letters';
export * from './service';
export * from './undelivered';
export * from './usage-facts';
export * from './usage';
export * from './usage-view';
