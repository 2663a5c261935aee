import { createConnection, createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { TcpProxy } from '../src/testing/index.ts';

/** Sends `messages` one after another through a fresh connection and returns what came back, with the time it took. */
async function exchange(port: number, messages: string[]): Promise<{ echoed: string; ms: number }> {
  const started = Date.now();
  const socket = createConnection({ host: '127.0.0.1', port });
  let echoed = '';
  const expected = messages.join('');
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      echoed += chunk.toString();
      if (echoed.length >= expected.length) resolve();
    });
    socket.on('connect', () => {
      for (const message of messages) socket.write(message);
    });
  });
  socket.destroy();
  return { echoed, ms: Date.now() - started };
}

t.test('TcpProxy: passes bytes through, can be slowed down and cut', async (t) => {
  const echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  t.teardown(() => echo.close());
  const proxy = new TcpProxy('127.0.0.1', (echo.address() as AddressInfo).port);
  const port = await proxy.start();
  t.teardown(() => proxy.stop());

  const fast = await exchange(port, ['one ', 'two ', 'three']);
  t.equal(fast.echoed, 'one two three');

  proxy.latencyMs = 150;
  const slow = await exchange(port, ['a'.repeat(70_000), 'b', 'c'.repeat(10)]);
  t.equal(slow.echoed, `${'a'.repeat(70_000)}b${'c'.repeat(10)}`, 'every chunk arrives, in order');
  t.ok(slow.ms >= 300, `a round trip takes the latency twice (${slow.ms} ms)`);

  proxy.latencyMs = 0;
  await proxy.stop();
  await t.rejects(exchange(port, ['x']), 'refused while stopped');
  await proxy.start();
  t.equal((await exchange(port, ['back'])).echoed, 'back', 'the same port again after start');
});
