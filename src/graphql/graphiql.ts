/**
 * GraphiQL for the management API, in development only (`MCPD_GRAPHIQL=true`): `GET /{endpoint_id}/graphiql` serves a
 * page that queries `./mcp_core_graphql` of the same endpoint. The page loads GraphiQL from unpkg in the browser;
 * the daemon serves nothing but this HTML.
 */
import type { FastifyInstance } from 'fastify';
import { ENDPOINT_ID } from '../registry/endpoints.js';
import { endpointOf } from '../store/index.js';

const page = (endpointId: string) => `<!doctype html>
<html>
<head>
  <meta charset="utf-8" />
  <title>mcpd management API — ${endpointId}</title>
  <meta name="robots" content="noindex" />
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css" crossorigin="anonymous" />
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="https://unpkg.com/react@18.3.1/umd/react.production.min.js" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js" crossorigin="anonymous"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: new URL('./mcp_core_graphql', location.href).href });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: '{ mcpFunctionList { total mcpFunctionList { name mcpType } } }' }),
    );
  </script>
</body>
</html>
`;

export function registerGraphiql(app: FastifyInstance): void {
  app.get<{ Params: { endpointId: string } }>('/:endpointId/graphiql', async (req, reply) => {
    const id = endpointOf(req.params.endpointId);
    if (!ENDPOINT_ID.test(id)) return reply.code(400).send('endpoint id must match [A-Za-z0-9_-]+');
    return reply.type('text/html; charset=utf-8').send(page(id));
  });
}
