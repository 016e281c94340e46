// Worker entry when orderflow runs from its TypeScript sources (tests, tsx): registers tsx in
// this thread (workers do not inherit the loader), then runs the real entry (spawn-worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
