export * from './auth';
export * from './config';
export * from './console';
export * from './pages';
export * from './pipeline-state';
export * from './server';
