import net from 'node:net';

/**
 * A TCP relay to a real server (MariaDB, Redis) that a test can take down: `cut()` drops every connection and
 * refuses new ones (the server died), `silence()` drops them and then accepts connections that never get an
 * answer (the server hangs), `restore()` relays again.
 */
export interface TcpRelay {
  port: number;
  cut(): void;
  silence(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function tcpRelay(host: string, port: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let mode: 'relay' | 'refuse' | 'silent' = 'relay';
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'refuse') return client.destroy();
    if (mode === 'silent') return;
    const upstream = net.connect(port, host);
    track(upstream);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      mode = 'refuse';
      dropAll();
    },
    silence() {
      mode = 'silent';
      dropAll();
    },
    restore() {
      mode = 'relay';
    },
    async close() {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
