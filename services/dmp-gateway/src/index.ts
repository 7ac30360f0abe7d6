export * from './config';
export * from './handler';
export * from './service';
