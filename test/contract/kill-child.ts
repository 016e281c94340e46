/**
 * Child process of the durability case: sends synchronously, 16 at a time, and prints the id
 * of every acknowledged message on its own line, until the parent kills it with SIGKILL.
 * argv: JSON messaging options, topic.
 */
import { createMessaging, type MessagingOptions } from '../../src/mq/index.js';

const [optionsJson, topic] = process.argv.slice(2);
const mq = await createMessaging(JSON.parse(optionsJson) as MessagingOptions);
await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
const producer = await mq.producer({ topics: [topic] });
process.stdout.write('READY\n');
let i = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (;;) {
      const { messageId } = await producer.send({ topic, body: `m${i++}` });
      process.stdout.write(`${messageId}\n`);
    }
  }),
);
