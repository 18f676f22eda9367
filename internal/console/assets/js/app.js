// app.js: the console's frame and router. Pages are modules exporting `routes`; a route's path is
// matched against the hash (#/instances/abc/topics?x=1), its `:params` decoded and passed to render.
// Every navigation stops the previous page's polls.

import { onSessionChange, signedIn, signOut, whoami, scopedInstance, isAdmin } from './api.js';
import { h, mount, errorBox, spinner, stopPolls, closeModals } from './ui.js';
import * as login from './pages/login.js';

const PAGES = [login];
// Each page module appends its path here (one line each; keep the list sorted to merge cleanly).
const pageModules = [
  './pages/diagnosis.js',
  './pages/groups.js',
  './pages/iam.js',
  './pages/instance.js',
  './pages/instances.js',
  './pages/messages.js',
  './pages/quotas.js',
  './pages/topics.js',
  './pages/users.js',
];

const routes = [];

function compile(path) {
  const names = [];
  const re = path.replace(/:[a-zA-Z]+/g, (m) => {
    names.push(m.slice(1));
    return '([^/]+)';
  });
  return { re: new RegExp(`^${re}$`), names };
}

function addRoutes(mod) {
  for (const r of mod.routes || []) routes.push({ ...r, ...compile(r.path) });
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs || '')) };
}

/** go navigates to a hash route. */
export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

let afterSignIn = '';

function home() {
  const scoped = scopedInstance();
  return scoped ? `#/instances/${encodeURIComponent(scoped)}` : '#/instances';
}

const main = h('main', { id: 'main', tabindex: '-1' });
const header = h('header', { class: 'top' });

function renderHeader() {
  const who = whoami();
  if (!signedIn() || !who) {
    mount(header, h('a', { class: 'brand', href: '#/' }, 'OpenDMS'));
    return;
  }
  const scoped = scopedInstance();
  const links = scoped
    ? [h('a', { href: home(), test: 'nav-instance' }, 'Instance')]
    : [h('a', { href: '#/instances', test: 'nav-instances' }, 'Instances'),
      isAdmin() ? h('a', { href: '#/iam/users', test: 'nav-iam' }, 'IAM') : null];
  const name = scoped ? `${who.user.name} (Kafka Manager)` : `${who.user.name} @ ${who.user.domain_name || who.user.domain_id}`;
  mount(header,
    h('a', { class: 'brand', href: home() }, 'OpenDMS'),
    h('nav', { class: 'main-nav', test: 'nav', attrs: { 'aria-label': 'Main' } }, links),
    h('div', { class: 'who' },
      h('span', { test: 'who' }, name),
      h('button', { type: 'button', class: 'btn small', test: 'sign-out', on: { click: () => signOut() } }, 'Sign out')));
}

function match(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = {};
    try {
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]);
      });
    } catch {
      return null; // a malformed escape (#/instances/%E0): no page, not an uncaught URIError
    }
    return { route: r, params };
  }
  return null;
}

let renderSeq = 0;

async function render() {
  stopPolls();
  closeModals(); // a dialog belongs to the page it was opened on (and none survives a sign-out)
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  renderHeader();
  const open = path === '/login' || path.startsWith('/km/');
  if (!signedIn() && !open) {
    afterSignIn = location.hash && location.hash !== '#/' ? location.hash : '';
    replaceHash('#/login');
    return;
  }
  if (signedIn() && (path === '/' || path === '/login')) {
    const target = afterSignIn || home();
    afterSignIn = '';
    replaceHash(target);
    return;
  }
  const m = match(path);
  if (!m) {
    mount(main, h('section', { class: 'page' }, h('h1', null, 'Not found'), h('p', null, `No page at ${path}.`), h('a', { href: home() }, 'Back')));
    return;
  }
  document.title = `${m.route.title || 'Console'} · OpenDMS`;
  mount(main, spinner());
  try {
    const node = await m.route.render(m.params, query);
    if (seq !== renderSeq) return; // the user moved on
    mount(main, node);
  } catch (e) {
    if (seq !== renderSeq) return;
    mount(main, h('section', { class: 'page' }, errorBox(e)));
  }
}

// replaceHash moves to target without a history entry, rendering even when the hash is unchanged.
function replaceHash(target) {
  if (location.hash === target) render();
  else location.replace(target);
}

// lastScoped is the instance of a Kafka Manager sign-in: its sign-out (or a token ended by 5.2.2,
// 5.2.3 or 5.2.12) returns to that instance's sign-in page, not the IAM one.
let lastScoped = '';

onSessionChange(() => {
  if (signedIn()) {
    lastScoped = scopedInstance();
    const target = afterSignIn && !lastScoped ? afterSignIn : home();
    afterSignIn = '';
    replaceHash(target);
  } else {
    afterSignIn = '';
    replaceHash(lastScoped ? `#/km/${encodeURIComponent(lastScoped)}` : '#/login');
  }
});

async function start() {
  document.body.append(h('a', { class: 'skip', href: '#main', on: { click: (e) => { e.preventDefault(); main.focus(); } } }, 'Skip to content'), header, main);
  for (const m of PAGES) addRoutes(m);
  // Pages load in parallel; a page not written yet is simply absent.
  const mods = await Promise.allSettled(pageModules.map((p) => import(p)));
  for (const r of mods) if (r.status === 'fulfilled') addRoutes(r.value);
  window.addEventListener('hashchange', render);
  render();
}

start();
