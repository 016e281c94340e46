// Worker entry when orderflow runs from its TypeScript sources (tests, tsx): registers tsx in
// this thread (workers do not inherit the loader), then runs the real entry.
import { register } from 'tsx/esm/api';

register();
await import('./simulators-worker.ts');
