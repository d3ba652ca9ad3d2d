// Starts GraphiQL on the page served at GET /. It lives in its own file, not inline, so the
// page runs under a Content-Security-Policy that allows scripts from 'self' only; the server
// passes its settings in data- attributes of #graphiql.
//
// It also signs the page in: a logIn or signUp run in GraphiQL that returns a token puts
// {"Authorization": "Bearer <token>"} in the Headers tab, a banner names the user and offers
// to log out, and the token is kept in localStorage so that a reload stays signed in.
(function () {
  'use strict';

  var SESSION_KEY = 'todo-graphiql:session';

  var root = document.getElementById('graphiql');
  var banner = document.getElementById('todo-session');
  var note = document.getElementById('todo-note');
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';
  var url = new URL(endpoint, window.location.href);
  // Subscriptions go to the same path on the same host, over ws:// or wss:// to match the page.
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  // The fetcher opens a graphql-ws connection per subscription and sends the Headers tab's
  // JSON as its connectionParams, so {"Authorization": "Bearer <token>"} reaches the server
  // in the connection_init message as well as on every HTTP request.
  var baseFetcher = GraphiQL.createFetcher({
    url: url.href,
    subscriptionUrl: subscriptionUrl.href,
  });

  // The Headers editor (CodeMirror) of GraphiQL, once it exists: see SessionBridge.
  var headerEditor = null;

  function loadSession() {
    try {
      var session = JSON.parse(window.localStorage.getItem(SESSION_KEY) || 'null');
      return session && typeof session.token === 'string' ? session : null;
    } catch (_) {
      return null;
    }
  }

  function saveSession(session) {
    try {
      if (session) window.localStorage.setItem(SESSION_KEY, JSON.stringify(session));
      else window.localStorage.removeItem(SESSION_KEY);
    } catch (_) {
      // Storage can be disabled; the page still signs in until it is reloaded.
    }
  }

  // The Headers tab as an object; text that is not a JSON object is replaced, since the
  // editor cannot hold two documents.
  function currentHeaders() {
    try {
      var parsed = JSON.parse((headerEditor && headerEditor.getValue()) || '{}');
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch (_) {
      return {};
    }
  }

  // Sets or removes Authorization in the Headers tab, keeping any other header typed there.
  function writeAuthorization(token) {
    if (!headerEditor) return;
    var headers = currentHeaders();
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') delete headers[name];
    });
    if (token) headers.Authorization = 'Bearer ' + token;
    var text = Object.keys(headers).length > 0 ? JSON.stringify(headers, null, 2) : '';
    if (headerEditor.getValue() !== text) headerEditor.setValue(text);
  }

  function showBanner(session) {
    banner.textContent = '';
    if (!session) {
      banner.hidden = true;
      note.hidden = false;
      return;
    }
    banner.appendChild(document.createTextNode('Signed in as '));
    var name = document.createElement('b');
    name.className = 'todo-session-user';
    name.textContent = session.username || 'you';
    banner.appendChild(name);
    banner.appendChild(document.createTextNode(' — '));
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'todo-session-logout';
    button.textContent = 'Log out';
    button.addEventListener('click', logOut);
    banner.appendChild(button);
    banner.hidden = false;
    note.hidden = true;
  }

  function signIn(token, username) {
    var session = { token: token, username: username || null };
    saveSession(session);
    writeAuthorization(token);
    showBanner(session);
  }

  function forget() {
    saveSession(null);
    writeAuthorization(null);
    showBanner(null);
  }

  // Revokes the token on the server too; the page forgets it whatever the server answers.
  function logOut() {
    var session = loadSession();
    forget();
    if (!session) return;
    window
      .fetch(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + session.token },
        body: JSON.stringify({ query: 'mutation LogOut { logOut }' }),
      })
      .catch(function () {});
  }

  // Looks at each result for a token that logIn or signUp handed out, or a logOut.
  function inspect(result) {
    var data = result && typeof result === 'object' ? result.data : null;
    if (!data || typeof data !== 'object') return;
    var payload = data.logIn || data.signUp;
    if (payload && typeof payload.token === 'string') {
      signIn(payload.token, payload.user && payload.user.username);
    } else if (data.logOut === true) {
      forget();
    }
  }

  // Every payload of a stream: with incremental delivery on, the HTTP fetcher answers even
  // a plain mutation as an async iterable of results, not as one result.
  async function* inspectEach(results) {
    for await (const result of results) {
      [].concat(result).forEach(inspect);
      yield result;
    }
  }

  // GraphiQL's fetcher, looking at what comes back. Subscriptions (observables) pass as is.
  function fetcher(params, options) {
    return Promise.resolve(baseFetcher(params, options)).then(function (value) {
      if (value && typeof value[Symbol.asyncIterator] === 'function') return inspectEach(value);
      inspect(value);
      return value;
    });
  }

  // Rendered inside GraphiQL (in its footer slot) to reach its editor context: it hands the
  // Headers editor to this file and puts the stored token into each tab it shows.
  function SessionBridge() {
    var context = GraphiQL.React.useEditorContext({ nonNull: true });
    var editor = context.headerEditor;
    var tab = context.activeTabIndex;
    React.useEffect(
      function () {
        headerEditor = editor || null;
        var session = loadSession();
        if (editor && session) writeAuthorization(session.token);
      },
      [editor, tab],
    );
    return null;
  }

  showBanner(loadSession());

  ReactDOM.createRoot(root).render(
    React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        defaultQuery: root.getAttribute('data-default-query') || undefined,
        defaultEditorToolsVisibility: true,
      },
      React.createElement(GraphiQL.Footer, null, React.createElement(SessionBridge)),
    ),
  );
})();
