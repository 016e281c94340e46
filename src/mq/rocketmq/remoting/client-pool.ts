/**
 * One RemotingClient per address (NameServer, each broker), created on first use and closed together.
 * `call` sends a request and turns any response code it was not told to accept into a RemotingResponseError,
 * so admin functions only deal with the answers they expect.
 */
import type { RemotingCommand } from './codec.js';
import { RemotingError, RemotingResponseError } from './errors.js';
import { ResponseCode } from './protocol.js';
import { RemotingClient, type RemotingRequest } from './remoting-client.js';

export interface CallOptions {
  /** Response codes returned to the caller instead of thrown (SUCCESS always is). */
  accept?: number[];
  timeoutMs?: number;
  /** What the call does, for error messages ("create topic 'x'"). */
  what?: string;
}

export class ClientPool {
  private readonly clients = new Map<string, RemotingClient>();
  private closed = false;

  constructor(private readonly timeoutMs: number) {}

  client(address: string): RemotingClient {
    if (this.closed) throw new RemotingError('closed', address, 'the RocketMQ admin is closed');
    let client = this.clients.get(address);
    if (!client) {
      client = new RemotingClient(address, { timeoutMs: this.timeoutMs });
      this.clients.set(address, client);
    }
    return client;
  }

  async call(address: string, request: RemotingRequest, options: CallOptions = {}): Promise<RemotingCommand> {
    const response = await this.client(address).invoke(request, options.timeoutMs ?? this.timeoutMs);
    if (response.code === ResponseCode.SUCCESS || options.accept?.includes(response.code)) return response;
    throw new RemotingResponseError(request.code, address, response.code, response.remark, options.what);
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
