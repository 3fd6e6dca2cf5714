/** Starting and stopping the local twins' HTTP servers, the same way for each. */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export interface Listening {
  url: string;
  port: number;
  /** Drops open keep-alive connections, then stops listening. */
  close(): Promise<void>;
}

/** Listens on `host` (loopback by default) and `port` (a free one by default). */
export async function listen(server: http.Server, host = "127.0.0.1", port = 0): Promise<Listening> {
  server.keepAliveTimeout = 30000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
