/**
 * Child process of the crash cases (cases-crash.ts): it does one thing and is then killed with SIGKILL by the
 * parent, at a moment it announces on stdout. argv: role, JSON messaging options, then the role's arguments.
 *
 * - `consume-hang <topic> <group>`: a push consumer of the group that prints `HANDLING <messageId>` for the
 *   message it gets and never answers (killed mid-handling); then it sends that one message itself.
 * - `pending <delayTopic> <txTopic> <producerGroup> <delayMs>`: sends a delayed message due in delayMs
 *   (`DELAYED <messageId>`), a half message whose local transaction answers UNKNOWN (`UNKNOWN <messageId>`), and a
 *   half message whose local transaction never ends (`HANGING <messageId>`, killed inside it).
 */
import { createMessaging, type MessagingOptions } from '../../src/mq/index.js';

const [role, optionsJson, ...args] = process.argv.slice(2);
const mq = await createMessaging(JSON.parse(optionsJson) as MessagingOptions);
const say = (line: string) => process.stdout.write(`${line}\n`);
const never = () => new Promise<never>(() => {});

if (role === 'consume-hang') {
  const [topic, group] = args;
  await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
  await mq.pushConsumer({
    group,
    subscriptions: { [topic]: '*' },
    listener: async (m) => {
      say(`HANDLING ${m.messageId}`);
      return never();
    },
  });
  const producer = await mq.producer({ topics: [topic] });
  say(`SENT ${(await producer.send({ topic, body: 'handled-when-killed' })).messageId}`);
} else if (role === 'pending') {
  const [delayTopic, txTopic, producerGroup, delayMs] = args;
  await mq.admin.createTopic({ name: delayTopic, type: 'DELAY' });
  await mq.admin.createTopic({ name: txTopic, type: 'TRANSACTION' });
  // Its own checker never decides: the half messages are left to the process that comes after the kill.
  const producer = await mq.producer({ group: producerGroup, topics: [delayTopic, txTopic], transactionChecker: () => 'UNKNOWN' });
  const due = Date.now() + Number(delayMs);
  const delayed = await producer.send({ topic: delayTopic, body: 'delayed', deliverAt: due, properties: { due: String(due) } });
  say(`DELAYED ${delayed.messageId}`);
  const unknown = await producer.sendInTransaction({ topic: txTopic, body: 'unknown' }, () => 'UNKNOWN');
  say(`UNKNOWN ${unknown.messageId}`);
  await producer.sendInTransaction({ topic: txTopic, body: 'hanging' }, (half) => {
    say(`HANGING ${half.messageId}`);
    return never();
  });
} else {
  say(`unknown role ${role}`);
  process.exit(2);
}
