// Drives the server's GraphiQL page in a headless Chromium, as a user would: sets the
// Authorization header in the Headers tab, runs the example query, reads the result, then
// runs a subscription and sees a todo's CREATED event arrive over its WebSocket.
// Fails (exit 1, with a message on stderr) if the page, or anything it loads, asks any host
// other than the server, if the Content-Security-Policy blocks anything, or if the result
// does not show the signed-in user's data.
//
// Usage: node graphiql.mjs <server url> <token> [text the result must contain]
// Env: CHROMIUM (default /usr/bin/chromium); GRAPHIQL_SCREENSHOT=<file.png> saves the page.

import { chromium } from 'playwright-core';

const DEADLINE_MS = 60_000;

const [serverArg, token, expectedText] = process.argv.slice(2);
if (!serverArg || !token) {
  console.error('usage: node graphiql.mjs <server url> <token> [expected text]');
  process.exit(2);
}
const server = new URL(serverArg);

// Requests to any other origin: recorded, and aborted so that nothing leaves the machine.
const foreign = [];
// Console errors and uncaught exceptions of the page, CSP violations among them.
const pageErrors = [];
// The Authorization header of each POST /graphql the page sent.
const graphqlAuthorizations = [];

function isLocal(url) {
  const { protocol, host } = new URL(url);
  // data: and blob: never touch the network; ws: to the server is the subscription socket.
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return host === server.host && ['http:', 'https:', 'ws:', 'wss:'].includes(protocol);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    await drive(browser);
  } finally {
    await browser.close();
  }
}

async function drive(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.route('**/*', async (route) => {
    const request = route.request();
    if (!isLocal(request.url())) {
      foreign.push(`${request.method()} ${request.url()}`);
      await route.abort('blockedbyclient');
      return;
    }
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
      graphqlAuthorizations.push((await request.allHeaders())['authorization'] ?? null);
    }
    await route.continue();
  });
  const page = await context.newPage();
  page.on('websocket', (socket) => {
    if (!isLocal(socket.url())) foreign.push(`WebSocket ${socket.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));

  const response = await page.goto(server.href, { waitUntil: 'load' });
  if (!response || !response.ok()) {
    throw new Error(`GET ${server.href} answered ${response ? response.status() : 'nothing'}`);
  }
  const csp = response.headers()['content-security-policy'];
  if (!csp || !csp.includes("default-src 'self'")) {
    throw new Error(`the page has no strict Content-Security-Policy: ${csp}`);
  }

  // GraphiQL is up once its query editor shows the example operation.
  await page.waitForFunction(
    () => {
      const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
      return editor && editor.CodeMirror.getValue().includes('query Example');
    },
    null,
    { timeout: 20_000 },
  );

  // The Headers tab, as a user would: open it, focus its editor, replace its text.
  // insertText types the text as one input event, so the editor's bracket auto-closing
  // cannot double any brace or quote.
  const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
  await page.locator('.graphiql-editor-tools').getByRole('button', { name: 'Headers' }).click();
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
  await headersEditor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(headers);
  const typed = await headersEditor.evaluate((element) => element.CodeMirror.getValue());
  if (typed !== headers) {
    throw new Error(`the Headers editor holds ${JSON.stringify(typed)}, not ${headers}`);
  }

  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(
    () => {
      const result = document.querySelector('.result-window .CodeMirror');
      return result && result.CodeMirror.getValue().includes('"data"');
    },
    null,
    { timeout: 20_000 },
  );
  const resultText = await page
    .locator('.result-window .CodeMirror')
    .evaluate((element) => element.CodeMirror.getValue());
  await screenshot(page);

  const result = JSON.parse(resultText);
  if (result.errors) throw new Error(`the query answered errors: ${resultText}`);
  if (!result.data?.viewer?.username) {
    throw new Error(`the Authorization header did not reach the server (viewer is null): ${resultText}`);
  }
  if (expectedText && !resultText.includes(expectedText)) {
    throw new Error(`the result does not show ${JSON.stringify(expectedText)}: ${resultText}`);
  }
  if (!graphqlAuthorizations.includes(`Bearer ${token}`)) {
    throw new Error(`no POST /graphql carried the token; saw ${JSON.stringify(graphqlAuthorizations)}`);
  }
  await subscribe(page);
  if (foreign.length > 0) {
    throw new Error(`the page asked other hosts than ${server.host}:\n  ${foreign.join('\n  ')}`);
  }
  if (pageErrors.length > 0) {
    throw new Error(`the page reported errors:\n  ${pageErrors.join('\n  ')}`);
  }
  console.log(`GraphiQL ran the example query as ${result.data.viewer.username} and heard a live event; no foreign requests`);
}

// A subscription in the same page: its socket goes to the server with the Headers tab as
// connectionParams, and a todo created meanwhile (here, from outside the page) shows up in
// the result pane as its CREATED event.
async function subscribe(page) {
  // Typed as a user would, so that GraphiQL picks up the new operation's name.
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
  await queryEditor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText('subscription Live { todoEvents { kind todo { title } } }');
  // GraphiQL reads the operation's name from the editor after a short debounce.
  await page.waitForTimeout(1000);
  const sockets = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  await page.locator('.graphiql-execute-button').click();
  // The socket is up and subscribed once the server counts the subscription; until then a
  // created todo would go unheard, so create one every half second until one is heard.
  const title = `seen live ${Date.now()}`;
  const heard = async () =>
    page
      .locator('.result-window .CodeMirror')
      .evaluate((element, text) => element.CodeMirror.getValue().includes(text), title);
  for (let attempt = 0; attempt < 30 && !(await heard()); attempt++) {
    const response = await fetch(new URL('/graphql', server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($t: String!) { createTodo(input: { title: $t }) { id } }',
        variables: { t: title },
      }),
    });
    if (!response.ok) throw new Error(`createTodo answered ${response.status}`);
    await page.waitForTimeout(500);
  }
  const shown = await page
    .locator('.result-window .CodeMirror')
    .evaluate((element) => element.CodeMirror.getValue());
  if (!shown.includes(title) || !shown.includes('CREATED')) {
    throw new Error(`the subscription showed no CREATED event for ${JSON.stringify(title)}: ${shown}`);
  }
  if (!sockets.some((url) => new URL(url).host === server.host)) {
    throw new Error(`the subscription opened no WebSocket to the server: ${JSON.stringify(sockets)}`);
  }
}

async function screenshot(page) {
  const path = process.env.GRAPHIQL_SCREENSHOT;
  if (path) await page.screenshot({ path, fullPage: true });
}

const deadline = setTimeout(() => {
  console.error(`graphiql.mjs: timed out after ${DEADLINE_MS} ms`);
  process.exit(1);
}, DEADLINE_MS);

main().then(
  () => {
    clearTimeout(deadline);
    process.exit(0);
  },
  (error) => {
    console.error(`graphiql.mjs: ${error.message}`);
    if (foreign.length > 0) console.error(`foreign requests:\n  ${foreign.join('\n  ')}`);
    if (pageErrors.length > 0) console.error(`page errors:\n  ${pageErrors.join('\n  ')}`);
    process.exit(1);
  },
);
