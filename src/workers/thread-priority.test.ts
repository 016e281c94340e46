import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { siblingModule, spawnWorker } from './spawn-worker.js';
import { linuxThreadId } from './thread-priority.js';

/** Field 19 of /proc/<pid>/task/<tid>/stat: the task's niceness. */
const niceness = (tid: number) => Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);

test("a worker thread lowers its own priority and no other thread's", {
  skip: process.platform !== 'linux' && 'thread priorities are set through Linux task ids',
}, async () => {
  const mainTid = linuxThreadId() as number;
  assert.equal(mainTid, process.pid, "the main thread's task id is the process id");
  const before = niceness(mainTid);
  const worker = spawnWorker(siblingModule(import.meta.url, 'thread-priority.fixture'), { niceness: 7 });
  const tid = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  assert.notEqual(tid, mainTid);
  assert.equal(niceness(tid), 7);
  assert.equal(niceness(mainTid), before, 'the main thread keeps its priority');
  await worker.terminate();
});
