import { createRequire } from 'node:module';
import { MqError, MqErrorCode } from '../errors.js';

/** The part of @grpc/grpc-js used here. */
interface GrpcClient {
  makeUnaryRequest(
    method: string,
    serialize: (value: Buffer) => Buffer,
    deserialize: (bytes: Buffer) => Buffer,
    request: Buffer,
    options: { deadline: number },
    callback: (error: { code: number; details?: string } | null, response?: Buffer) => void,
  ): unknown;
  close(): void;
}
interface Grpc {
  Client: new (address: string, credentials: unknown) => GrpcClient;
  credentials: { createInsecure(): unknown };
  status: Record<string, number>;
}

// The gRPC library the RocketMQ client itself speaks to the Proxy with.
const clientRequire = createRequire(createRequire(import.meta.url).resolve('rocketmq-client-nodejs'));
const grpc = clientRequire('@grpc/grpc-js') as Grpc;

/**
 * Resolves once one of the Proxy's endpoints (`host:port[;host:port]`) answered a gRPC request. It asks the
 * standard health service; a Proxy that does not offer it says UNIMPLEMENTED, which is an answer from its gRPC
 * server all the same. Only "could not reach it" (UNAVAILABLE) and no answer before the deadline count as down.
 * A channel of its own each time: a long-lived one backs off reconnecting (up to minutes) after an outage and
 * would report the Proxy down long after it came back.
 */
export async function pingProxy(endpoints: string, timeoutMs: number): Promise<void> {
  const addresses = endpoints.split(';');
  try {
    await Promise.any(addresses.map((address) => pingOne(address, timeoutMs)));
  } catch (error) {
    const reasons = (error as AggregateError).errors.map((e: Error) => e.message).join('; ');
    throw new MqError(MqErrorCode.UNAVAILABLE, `the RocketMQ Proxy did not answer: ${reasons}`, {
      retriable: true,
      details: { endpoints },
    });
  }
}

function pingOne(address: string, timeoutMs: number): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const identity = (bytes: Buffer) => bytes;
  return new Promise<void>((resolve, reject) => {
    // An empty HealthCheckRequest: its one field, the service name, left empty asks about the server as a whole.
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      identity,
      identity,
      Buffer.alloc(0),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        client.close();
        if (error && (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED)) {
          reject(new Error(`${address}: ${error.details ?? `gRPC status ${error.code}`}`));
        } else if (response && notServing(response)) {
          reject(new Error(`${address}: the health service says NOT_SERVING`));
        } else {
          resolve();
        }
      },
    );
  });
}

/** A HealthCheckResponse whose status (field 1, a varint) is anything but SERVING (1). */
function notServing(response: Buffer): boolean {
  return response.length >= 2 && response[0] === 0x08 && response[1] !== 0x01;
}
