// The control for /healthz timings: a bare node:http server answering "ok" in its own process.
// When it is slow too, the machine was (other processes, 2 shared cores), not the exporter.
import { createServer } from 'node:http';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 3 });
  res.end('ok\n');
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.send?.({ ready: true, port: a && typeof a === 'object' ? a.port : 0 });
});
process.on('disconnect', () => process.exit(0));
