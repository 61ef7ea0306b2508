// Free ports for tests that start servers, asked of the kernel (bind to
// port 0, read it, let it go), so test files running in parallel never pick
// the same one.
import dgram from "node:dgram";
import net from "node:net";

/** A TCP port nothing listens on at the moment. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "0.0.0.0", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A UDP port nothing is bound to at the moment. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("error", reject);
    s.bind(0, "0.0.0.0", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}
