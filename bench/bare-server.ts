// The reference: a bare node:http server answering /health with the same JSON as the services.
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'OK' });
createServer((req, res) => {
  if (req.url === '/health' || req.url === '/ready') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404).end();
  }
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
