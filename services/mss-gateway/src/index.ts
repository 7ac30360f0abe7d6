export * from './config';
export * from './credentials';
export * from './handler';
export * from './service';
