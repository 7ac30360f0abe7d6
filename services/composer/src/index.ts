export * from './handler';
export * from './service';
