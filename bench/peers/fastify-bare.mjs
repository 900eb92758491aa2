// Baseline: a bare Fastify server answering every POST with a canned JSON-RPC tools/call result.
import Fastify from 'fastify';

const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: 'hello' }] },
});
const app = Fastify();
app.post('/default/mcp', async (_req, reply) => reply.header('content-type', 'application/json').send(body));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGINT', () => process.exit(0));
