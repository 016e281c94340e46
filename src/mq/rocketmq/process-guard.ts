import type { MqLogger } from '../types.js';

const CLIENT_FRAMES = /rocketmq-client-nodejs|@grpc[\\/]grpc-js/;

function fromClient(error: unknown): boolean {
  return CLIENT_FRAMES.test(String((error as Error)?.stack ?? ''));
}

/**
 * The official client lets some background failures escape (timer callbacks and gRPC streams
 * after a broker restart: rocketmq-clients#966) and they would kill the process. While an engine
 * is open, failures whose stack is the client's are logged and dropped; every other failure
 * still ends the process exactly as before. Returns the function that removes the guard.
 *
 * Each engine installs listeners of its own and removes them when it closes: with several engines open, a client's
 * failure is logged by each, and any other failure ends the process as it would with one.
 */
export function guardProcess(logger: MqLogger): () => void {
  const onRejection = (reason: unknown) => {
    if (fromClient(reason)) {
      logger.warn({ err: reason }, 'rocketmq client: background failure caught (it reconnects by itself)');
      return;
    }
    throw reason; // not ours: the process fails as it would without this listener
  };
  const onException = (error: unknown) => {
    if (fromClient(error)) {
      logger.warn({ err: error }, 'rocketmq client: background exception caught (it reconnects by itself)');
      return;
    }
    // Not ours: behave like Node without a listener.
    console.error(error);
    process.exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
