// Starts GraphiQL on the page served at GET /. It lives in its own file, not inline, so the
// page runs under a Content-Security-Policy that allows scripts from 'self' only; the server
// passes its settings in data- attributes of #graphiql.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';
  var url = new URL(endpoint, window.location.href);
  // Subscriptions go to the same path on the same host, over ws:// or wss:// to match the page.
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  // The fetcher opens a graphql-ws connection per subscription and sends the Headers tab's
  // JSON as its connectionParams, so {"Authorization": "Bearer <token>"} reaches the server
  // in the connection_init message as well as on every HTTP request.
  var fetcher = GraphiQL.createFetcher({
    url: url.href,
    subscriptionUrl: subscriptionUrl.href,
  });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: root.getAttribute('data-default-query') || undefined,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
