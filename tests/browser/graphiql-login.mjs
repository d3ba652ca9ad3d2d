// Signs in on the server's GraphiQL page in a headless Chromium, as a person would: runs a
// logIn mutation in the query editor, and expects the page to put the token in the Headers
// tab and name the user in a banner, so that the example query then shows that user's
// todos; a reload keeps the session, and Log out clears the header and revokes the token.
// Fails (exit 1, with a message on stderr) if any step does not happen, if the page asks
// any other host, or if it reports an error (a CSP violation among them).
//
// Usage: node graphiql-login.mjs <server url> <login> <password>
// Env: CHROMIUM (default /usr/bin/chromium); GRAPHIQL_SCREENSHOT=<file.png> saves the page.

import { chromium } from 'playwright-core';

const DEADLINE_MS = 60_000;

const [serverArg, login, password] = process.argv.slice(2);
if (!serverArg || !login || !password) {
  console.error('usage: node graphiql-login.mjs <server url> <login> <password>');
  process.exit(2);
}
const server = new URL(serverArg);
const foreign = [];
const pageErrors = [];

function isLocal(url) {
  const { protocol, host } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return host === server.host && ['http:', 'https:', 'ws:', 'wss:'].includes(protocol);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await drive(browser);
  } finally {
    await browser.close();
  }
}

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESULT = '.result-window .CodeMirror';

async function editorText(page, selector) {
  return page.locator(selector).evaluate((element) => element.CodeMirror.getValue());
}

// The Headers tab's text: the tab is opened first, so its editor is the visible one.
async function headersText(page) {
  await page.locator('.graphiql-editor-tools').getByRole('button', { name: 'Headers' }).click();
  return editorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
}

// Types an operation into the query editor and runs it; answers the parsed result.
async function run(page, operation) {
  await page.locator(QUERY_EDITOR).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(operation);
  // GraphiQL reads the operation's name from the editor after a short debounce.
  await page.waitForTimeout(1000);
  await page.locator(RESULT).evaluate((element) => element.CodeMirror.setValue(''));
  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(
    (selector) => {
      const result = document.querySelector(selector);
      return result && /"(data|errors)"/.test(result.CodeMirror.getValue());
    },
    RESULT,
    { timeout: 20_000 },
  );
  return JSON.parse(await editorText(page, RESULT));
}

async function bannerText(page) {
  const banner = page.locator('#todo-session');
  return (await banner.isVisible()) ? (await banner.innerText()).trim() : '';
}

async function waitForGraphiQL(page) {
  await page.waitForFunction(
    (selector) => {
      const editor = document.querySelector(selector);
      return editor && editor.CodeMirror.getValue().length > 0;
    },
    QUERY_EDITOR,
    { timeout: 20_000 },
  );
}

async function drive(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.route('**/*', async (route) => {
    if (!isLocal(route.request().url())) {
      foreign.push(`${route.request().method()} ${route.request().url()}`);
      await route.abort('blockedbyclient');
      return;
    }
    await route.continue();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));

  const response = await page.goto(server.href, { waitUntil: 'load' });
  if (!response || !response.ok()) throw new Error(`GET ${server.href} failed`);
  const csp = response.headers()['content-security-policy'] ?? '';
  if (!csp.includes("default-src 'self'") || csp.includes('script-src')) {
    throw new Error(`the page's Content-Security-Policy changed: ${csp}`);
  }
  await waitForGraphiQL(page);
  const exampleQuery = await page.locator('#graphiql').getAttribute('data-default-query');
  if ((await bannerText(page)) !== '') throw new Error('a banner says someone is signed in before logIn');

  // 1. logIn in the editor: the page takes the token from the result.
  const loggedIn = await run(
    page,
    `mutation LogIn { logIn(input: { login: ${JSON.stringify(login)}, password: ${JSON.stringify(password)} }) { token user { username } } }`,
  );
  const token = loggedIn.data?.logIn?.token;
  if (!token) throw new Error(`logIn gave no token: ${JSON.stringify(loggedIn)}`);
  const username = loggedIn.data.logIn.user.username;
  await page.waitForFunction(() => !document.getElementById('todo-session').hidden, null, { timeout: 5_000 })
    .catch(() => {});
  const headers = await headersText(page);
  let parsed;
  try {
    parsed = JSON.parse(headers);
  } catch {
    throw new Error(`after logIn the Headers tab holds no JSON: ${JSON.stringify(headers)}`);
  }
  if (parsed.Authorization !== `Bearer ${token}`) {
    throw new Error(`after logIn the Headers tab holds ${JSON.stringify(headers)}, not the token`);
  }
  const banner = await bannerText(page);
  if (!banner.includes(`Signed in as ${username}`) || !banner.includes('Log out')) {
    throw new Error(`the banner does not name ${username}: ${JSON.stringify(banner)}`);
  }

  // 2. The example query, untouched, now shows the signed-in user's todos.
  await expectOwnTodos(page, exampleQuery, username);

  // 3. A reload keeps the session.
  await page.reload({ waitUntil: 'load' });
  await waitForGraphiQL(page);
  await page.waitForFunction(() => !document.getElementById('todo-session').hidden, null, { timeout: 5_000 });
  if (!(await bannerText(page)).includes(`Signed in as ${username}`)) {
    throw new Error('after a reload the banner no longer names the user');
  }
  if (!(await headersText(page)).includes(`Bearer ${token}`)) {
    throw new Error('after a reload the Headers tab no longer holds the token');
  }
  await expectOwnTodos(page, exampleQuery, username);
  await screenshot(page);

  // 4. Log out: the header and the banner go, and the token no longer works.
  await page.locator('#todo-session').getByRole('button', { name: 'Log out' }).click();
  await page.waitForFunction(() => document.getElementById('todo-session').hidden, null, { timeout: 5_000 });
  const afterLogOut = await headersText(page);
  if (afterLogOut.includes('Bearer') || afterLogOut.toLowerCase().includes('authorization')) {
    throw new Error(`Log out left the header: ${JSON.stringify(afterLogOut)}`);
  }
  // GraphiQL's own history may still list the header a query ran with; the session the page
  // restores on a reload must be gone (and the token is revoked below).
  const kept = await page.evaluate(
    (value) => Object.keys(window.localStorage).filter((key) => window.localStorage.getItem(key).includes(value)),
    token,
  );
  if (kept.some((key) => !key.startsWith('graphiql:queries'))) {
    throw new Error(`Log out left the token in localStorage under ${JSON.stringify(kept)}`);
  }
  const anonymous = await run(page, exampleQuery);
  if (anonymous.data?.viewer) throw new Error(`after Log out the page is still signed in: ${JSON.stringify(anonymous)}`);
  let revoked = false;
  for (let attempt = 0; attempt < 20 && !revoked; attempt++) {
    const answer = await fetch(new URL('/graphql', server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { username } }' }),
    }).then((r) => r.json());
    revoked = !answer.data?.viewer;
    if (!revoked) await page.waitForTimeout(250);
  }
  if (!revoked) throw new Error('Log out did not revoke the token on the server');

  if (foreign.length > 0) throw new Error(`the page asked other hosts:\n  ${foreign.join('\n  ')}`);
  if (pageErrors.length > 0) throw new Error(`the page reported errors:\n  ${pageErrors.join('\n  ')}`);
  console.log(`GraphiQL signed in as ${username} from a logIn in the page, showed their todos, and logged out`);
}

async function expectOwnTodos(page, exampleQuery, username) {
  const result = await run(page, exampleQuery);
  if (result.errors) throw new Error(`the example query answered errors: ${JSON.stringify(result)}`);
  if (result.data?.viewer?.username !== username) {
    throw new Error(`the example query did not run as ${username}: ${JSON.stringify(result.data?.viewer)}`);
  }
  const own = result.data.users.nodes.find((user) => user.username === username);
  if (!own || own.todos.totalCount === 0 || own.todos.nodes.length === 0) {
    throw new Error(`the example query shows no todos of ${username}: ${JSON.stringify(result.data.users)}`);
  }
}

async function screenshot(page) {
  const path = process.env.GRAPHIQL_SCREENSHOT;
  if (path) await page.screenshot({ path, fullPage: true });
}

const deadline = setTimeout(() => {
  console.error(`graphiql-login.mjs: timed out after ${DEADLINE_MS} ms`);
  process.exit(1);
}, DEADLINE_MS);

main().then(
  () => {
    clearTimeout(deadline);
    process.exit(0);
  },
  (error) => {
    console.error(`graphiql-login.mjs: ${error.message}`);
    if (foreign.length > 0) console.error(`foreign requests:\n  ${foreign.join('\n  ')}`);
    if (pageErrors.length > 0) console.error(`page errors:\n  ${pageErrors.join('\n  ')}`);
    process.exit(1);
  },
);
