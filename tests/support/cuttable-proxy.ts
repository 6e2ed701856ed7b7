import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy on a loopback port in front of `target` that can be cut: cut, it stops
 * listening and ends every connection, so the store behind it looks down (connections are
 * refused, as with a stopped server) without touching the shared server; restored, it
 * listens on the same port again.
 */
export async function cuttableProxy(target: { host: string; port: number }): Promise<{
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  const open = async () => {
    const s = createServer((client) => {
      const upstream = tcpConnect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const shut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise((resolve) => s.close(resolve));
  };
  await open();
  return {
    get port() {
      return port;
    },
    cut: shut,
    restore: open,
    close: shut,
  };
}
