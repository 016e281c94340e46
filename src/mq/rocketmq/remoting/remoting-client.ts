/**
 * A minimal RocketMQ remoting client over one TCP connection (node:net): requests are framed by codec.ts,
 * correlated with their response by `opaque`, and each call has a deadline that covers connecting too.
 *
 * The connection is opened lazily by the first call. When it drops, every call in flight fails with a
 * RemotingError('disconnected') and the NEXT call reconnects: no background reconnect loop, so an idle
 * client costs nothing and a dead server is noticed by the caller that needs it. The socket is unref'd
 * while no call is in flight, so a forgotten client does not keep the process alive.
 */
import net from 'node:net';
import { decodeCommand, encodeCommand, FLAG_RESPONSE, FrameDecoder, type RemotingCommand } from './codec.js';
import { describeSocketError, RemotingError } from './errors.js';
import { RequestCodeName } from './protocol.js';

export interface RemotingClientOptions {
  /** Deadline of a call (connect + request + response) unless the call gives its own. Default 5000 ms. */
  timeoutMs?: number;
}

export interface RemotingRequest {
  code: number;
  /** The request header (RocketMQ's "custom header"); undefined values are left out. */
  extFields?: Record<string, string | number | boolean | undefined>;
  body?: Buffer;
}

interface Pending {
  resolve(response: RemotingCommand): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class RemotingClient {
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private readonly pending = new Map<number, Pending>();
  private nextOpaque = 1;
  private closed = false;

  constructor(address: string, options: RemotingClientOptions = {}) {
    const match = /^(.+):(\d+)$/.exec(address.trim());
    if (!match) throw new RemotingError('protocol', address, `bad address '${address}': expected host:port`);
    this.address = address.trim();
    this.host = match[1].replace(/^\[(.*)\]$/, '$1'); // [::1]:9876
    this.port = Number(match[2]);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Sends a request and resolves with the response, whatever its code (callers check `code`). */
  async invoke(request: RemotingRequest, timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    if (this.closed) throw new RemotingError('closed', this.address, `remoting client for ${this.address} is closed`);
    const opaque = this.nextOpaque;
    this.nextOpaque = this.nextOpaque >= 0x7fffffff ? 1 : this.nextOpaque + 1; // Java's opaque is an int
    const what = RequestCodeName[request.code] ?? `request code ${request.code}`;
    return new Promise<RemotingCommand>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        this.refreshRef();
        reject(new RemotingError('timeout', this.address, `${what} to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      const extFields: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.extFields ?? {})) if (v !== undefined) extFields[k] = String(v);
      const frame = encodeCommand({ code: request.code, opaque, flag: 0, extFields, body: request.body });
      this.connect().then(
        (socket) => {
          this.refreshRef(); // before the early return too: a fresh socket is ref'd until told otherwise
          if (!this.pending.has(opaque)) return; // timed out while connecting
          socket.write(frame);
        },
        (error: Error) => this.settle(opaque, undefined, error),
      );
    });
  }

  /** Fails calls in flight with 'closed' and ends the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new RemotingError('closed', this.address, `remoting client for ${this.address} was closed`));
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) {
      // destroy, not end(): nothing is in flight any more, and waiting for the peer's FIN on an unref'd
      // socket would leave this promise pending while the event loop exits
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.ref();
        socket.destroy();
      });
    }
  }

  private connect(): Promise<net.Socket> {
    if (this.socket?.destroyed) this.socket = undefined; // errored, 'close' not emitted yet: start afresh
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const decoder = new FrameDecoder();
      let established = false;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      // a blackholed host would leave this attempt (and every later call sharing it) hanging for minutes
      const connectTimer = setTimeout(() => {
        const error: NodeJS.ErrnoException = new Error(`no TCP connection within ${this.timeoutMs} ms`);
        error.code = 'ETIMEDOUT';
        socket.destroy(error);
      }, this.timeoutMs);
      connectTimer.unref();
      socket.once('close', () => clearTimeout(connectTimer));
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        established = true;
        this.connecting = undefined;
        if (this.closed) {
          socket.destroy();
          reject(new RemotingError('closed', this.address, `remoting client for ${this.address} was closed`));
          return;
        }
        this.socket = socket;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const frame of decoder.push(chunk)) this.onFrame(decodeCommand(frame));
        } catch (error) {
          // a corrupt stream cannot be resynchronised: drop the connection, the next call reconnects
          socket.destroy(new RemotingError('protocol', this.address, `bad frame from ${this.address}: ${(error as Error).message}`, error));
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!established) {
          this.connecting = undefined;
          reject(new RemotingError('connect', this.address, describeSocketError(this.address, error), error));
        } else if (error instanceof RemotingError) {
          this.failAll(error);
        } else {
          this.failAll(new RemotingError('disconnected', this.address, describeSocketError(this.address, error), error));
        }
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        if (established) this.failAll(new RemotingError('disconnected', this.address, `connection to ${this.address} closed`));
      });
    });
    return this.connecting;
  }

  private onFrame(cmd: RemotingCommand): void {
    // requests from the server (e.g. NOTIFY_CONSUMER_IDS_CHANGED) only concern registered clients: ignore
    if ((cmd.flag & FLAG_RESPONSE) === 0) return;
    this.settle(cmd.opaque, cmd);
  }

  private settle(opaque: number, response?: RemotingCommand, error?: Error): void {
    const call = this.pending.get(opaque);
    if (!call) return; // late answer to a call that already timed out
    this.pending.delete(opaque);
    clearTimeout(call.timer);
    this.refreshRef();
    if (response) call.resolve(response);
    else call.reject(error ?? new Error('no response'));
  }

  private failAll(error: Error): void {
    for (const [opaque] of [...this.pending]) this.settle(opaque, undefined, error);
  }

  /** Keeps the process alive only while a call waits for its answer. */
  private refreshRef(): void {
    if (!this.socket) return;
    if (this.pending.size > 0) this.socket.ref();
    else this.socket.unref();
  }
}
