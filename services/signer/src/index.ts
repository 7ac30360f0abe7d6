export * from './handler';
export * from './service';
export * from './config';
