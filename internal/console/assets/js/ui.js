// ui.js: the console's building blocks. Everything that reaches the page goes through h(), which sets
// text with text nodes and attributes with setAttribute: data from the API (record keys and values,
// topic names, error messages) is never parsed as HTML. Nothing here uses innerHTML.

import { can as canDo, scopedInstance } from './api.js';

export const can = canDo;

/**
 * h creates an element. props: class, id, text, value, checked, disabled, type, title, href, for (htmlFor),
 * test (data-test), attrs: {name: value}, dataset: {}, on: {event: fn}; any other key is set as an
 * attribute. Children: Nodes, strings and numbers (as text), arrays (flattened); null/undefined/false
 * are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      switch (k) {
        case 'class':
          el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
          break;
        case 'text':
          el.textContent = String(v);
          break;
        case 'value':
          el.value = v;
          break;
        case 'checked':
        case 'disabled':
        case 'selected':
        case 'multiple':
        case 'required':
        case 'readOnly':
          el[k] = !!v;
          break;
        case 'test':
          el.dataset.test = v;
          break;
        case 'on':
          for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
          break;
        case 'attrs':
          for (const [an, av] of Object.entries(v)) if (av !== undefined && av !== null && av !== false) el.setAttribute(an, String(av));
          break;
        case 'dataset':
          for (const [dn, dv] of Object.entries(v)) el.dataset[dn] = String(dv);
          break;
        case 'for':
          el.htmlFor = v;
          break;
        case 'href':
          // Only our own hash routes, same-origin paths and blob: downloads are links.
          el.setAttribute('href', safeHref(v));
          break;
        default:
          el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function safeHref(v) {
  const s = String(v);
  // "//host/x" and "/\\host/x" are other origins (protocol-relative), not paths of this one.
  if (s.startsWith('#') || s.startsWith('blob:') || (s.startsWith('/') && !/^\/[\/\\]/.test(s))) return s;
  return '#';
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** mount replaces el's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---- formatting -----------------------------------------------------------------------------------

export function fmtBytes(n) {
  if (n === undefined || n === null || n === '' || isNaN(Number(n))) return '';
  let v = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtNum(n) {
  if (n === undefined || n === null || n === '') return '';
  const v = Number(n);
  return isNaN(v) ? String(n) : v.toLocaleString('en-US');
}

/** fmtTime formats Unix ms (number or numeric string) or an ISO string as local time. */
export function fmtTime(t) {
  if (t === undefined || t === null || t === '' || t === 0 || t === '0') return '';
  let d;
  if (typeof t === 'number' || /^\d+$/.test(String(t))) d = new Date(Number(t));
  else d = new Date(String(t));
  if (isNaN(d.getTime())) return String(t);
  const pad = (x, n = 2) => String(x).padStart(n, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// ---- feedback -------------------------------------------------------------------------------------

/** errorBox shows a failed call: its DMS code and message (data-test="error"). */
export function errorBox(err) {
  if (!err) return null;
  const code = err.code ? h('strong', { class: 'code' }, err.code) : null;
  return h('div', { class: 'error', role: 'alert', test: 'error' }, code, code ? ': ' : '', err.message || String(err));
}

let toastHost = null;

/** toast shows a short message for a few seconds (kind: 'ok' | 'error'). */
export function toast(msg, kind = 'ok') {
  if (!toastHost) {
    toastHost = h('div', { class: 'toasts', attrs: { 'aria-live': 'polite' } });
    document.body.appendChild(toastHost);
  }
  const text = msg instanceof Error ? `${msg.code ? msg.code + ': ' : ''}${msg.message}` : String(msg);
  const t = h('div', { class: ['toast', kind], test: kind === 'error' ? 'toast-error' : 'toast' }, text);
  toastHost.appendChild(t);
  // Quick actions would otherwise stack toasts over the page: the newest three stay.
  while (toastHost.children.length > 3) toastHost.firstChild.remove();
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/** spinner is a loading placeholder. */
export function spinner(label = 'Loading…') {
  return h('div', { class: 'loading', role: 'status', test: 'loading' }, label);
}

// ---- dialogs --------------------------------------------------------------------------------------

/**
 * modal opens a dialog. body: Node(s); actions: [{label, kind ('primary'|'danger'|''), test, onClick}]
 * where onClick may be async and returns false to keep the dialog open (its thrown error is shown in
 * the dialog). Returns {close, el, setError}. Escape and the Cancel button close it.
 */
export function modal({ title, body, actions = [], test, wide }) {
  const dlg = h('dialog', { class: ['modal', wide && 'wide'], test: test || 'modal', attrs: { 'aria-label': title } });
  const errHost = h('div');
  const close = () => {
    dlg.close();
    dlg.remove();
  };
  const buttons = actions.map((a) => {
    const b = h('button', { type: 'button', class: ['btn', a.kind], test: a.test }, a.label);
    b.addEventListener('click', async () => {
      mount(errHost);
      b.disabled = true;
      try {
        const keep = a.onClick ? await a.onClick() : undefined;
        if (keep !== false) close();
      } catch (e) {
        mount(errHost, errorBox(e));
      } finally {
        b.disabled = false;
      }
    });
    return b;
  });
  const cancel = h('button', { type: 'button', class: 'btn', test: 'modal-cancel', on: { click: close } }, 'Cancel');
  mount(dlg,
    h('h2', null, title),
    h('div', { class: 'modal-body' }, body),
    errHost,
    h('div', { class: 'modal-actions' }, cancel, buttons));
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  return { close, el: dlg, setError: (e) => mount(errHost, errorBox(e)) };
}

/** confirmAction asks before a destructive call; resolves true when confirmed and run succeeded. */
export function confirmAction({ title, text, confirmLabel = 'Confirm', danger = true, run }) {
  return new Promise((resolve) => {
    const m = modal({
      title,
      body: h('p', null, text),
      test: 'confirm',
      actions: [{
        label: confirmLabel, kind: danger ? 'danger' : 'primary', test: 'confirm-ok',
        onClick: async () => {
          if (run) await run();
          resolve(true);
        },
      }],
    });
    m.el.addEventListener('close', () => resolve(false));
  });
}

// ---- forms ----------------------------------------------------------------------------------------

let fieldSeq = 0;

/** field wraps a control with its label (and an optional hint); the control gets an id if it has none. */
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldSeq}`;
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

/** select builds a <select> from [value, label] pairs or plain values. */
export function select(options, props = {}) {
  const el = h('select', props);
  for (const o of options) {
    const [v, l] = Array.isArray(o) ? o : [o, o];
    el.appendChild(h('option', { value: v, selected: String(props.value) === String(v) }, l));
  }
  if (props.value !== undefined) el.value = props.value;
  return el;
}

/**
 * button is a <button type=button>; hidden when the caller may not do `action` (an IAM action), and
 * with `lifecycle: true` also for a Kafka Manager sign-in: its token may do topics, groups and
 * messages but not the instance's lifecycle, configs, tags, Kafka users or quotas, which share IAM
 * actions (dms:instance:modify) with what it may do, so `action` alone cannot tell.
 */
export function button(label, onClick, { kind = '', test, action, title, disabled, lifecycle } = {}) {
  if (!allowed(action, lifecycle)) return null;
  // While an async onClick runs (a call, or a dialog it opened), more clicks are ignored: no double
  // submit, no second dialog. Its failure shows as an error toast (DMS code and message) instead of
  // an unhandled rejection. aria-busy, not disabled: the page may disable the button itself.
  let busy = false;
  const b = h('button', {
    type: 'button', class: ['btn', kind], test, title, disabled,
    on: {
      click: (e) => {
        if (busy) return;
        const r = onClick(e);
        if (!r || typeof r.then !== 'function') return;
        busy = true;
        b.setAttribute('aria-busy', 'true');
        const done = () => {
          busy = false;
          b.removeAttribute('aria-busy');
        };
        r.then(done, (err) => {
          done();
          toast(err, 'error');
        });
      },
    },
  }, label);
  return b;
}

/**
 * allowed is button()'s rule for controls that are not buttons (checkboxes of a batch delete,
 * inline-editable fields): the caller may do action, and with lifecycle it is no Kafka Manager
 * sign-in.
 */
export function allowed(action, lifecycle) {
  if (action && !can(action)) return false;
  return !(lifecycle && scopedInstance());
}

/** copyButton copies text to the clipboard. */
export function copyButton(text, test) {
  return h('button', {
    type: 'button', class: 'btn small', test, title: 'Copy',
    on: {
      click: async () => {
        try {
          await navigator.clipboard.writeText(text);
          toast('Copied');
        } catch {
          toast('Copy failed: select the text and copy it', 'error');
        }
      },
    },
  }, 'Copy');
}

/** download saves a Blob (or text) as a file. */
export function download(data, filename, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** kv renders label/value pairs as a definition list; values may be Nodes. */
export function kv(pairs, test) {
  return h('dl', { class: 'kv', test }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v === undefined || v === null || v === '' ? '—' : v)]));
}

/** badge shows a status (RUNNING, CREATING...) with a color by kind. */
export function badge(status) {
  const s = String(status || '');
  let kind = 'neutral';
  if (/^(RUNNING|SUCCESS|STABLE|ACTIVE|ENABLED|true)$/i.test(s)) kind = 'ok';
  else if (/(ERROR|FAIL|DEAD|FROZEN)/i.test(s)) kind = 'bad';
  else if (/(ING|PREPAR|PENDING|WAITING|EMPTY)$/i.test(s)) kind = 'busy';
  return h('span', { class: ['badge', kind], test: 'status' }, s || '—');
}

// ---- refresh --------------------------------------------------------------------------------------

let polls = []; // {id, owner}: owner is the page() section the poll belongs to, once made

/**
 * poll calls fn every ms until the page changes (app.js stops every poll on navigation). A poll
 * belongs to the page() its render returns next (pages call poll() then return page(...) in one
 * go): a render the user left before it ended has its page thrown away, and its polls stop at
 * their first tick instead of running on until the next navigation.
 */
export function poll(fn, ms = 5000) {
  // A tick while the previous one still runs (a slow server, a large topic) is skipped: requests
  // never pile up.
  let running = false;
  const entry = { id: 0, owner: null };
  const id = setInterval(async () => {
    if (entry.owner && !entry.owner.isConnected) {
      clearInterval(id);
      return;
    }
    if (document.hidden || running) return;
    running = true;
    try {
      await fn();
    } catch {
      // the next tick tries again; the page shows its own errors
    } finally {
      running = false;
    }
  }, ms);
  entry.id = id;
  polls.push(entry);
  return () => clearInterval(id);
}

export function stopPolls() {
  for (const p of polls) clearInterval(p.id);
  polls = [];
}

// ---- tables ---------------------------------------------------------------------------------------

/**
 * dataTable lists rows a page at a time. columns: [{key, label, render(row) -> Node|string, sort
 * (a sort key the server understands, if it sorts by this column), class}]. load({offset, limit,
 * sort, order}) -> {rows, total} fetches one page from the server. Returns {el, reload(keepPage)}.
 * opts: pageSize (default 10; the DMS limit is 1-50), test (data-test of the table), empty (text when
 * there are no rows), rowTest(row) (data-test of a row), defaultSort, defaultOrder.
 */
export function dataTable({ columns, load, pageSize = 10, test, empty = 'Nothing here yet.', rowTest, defaultSort = '', defaultOrder = 'asc' }) {
  const state = { offset: 0, limit: pageSize, sort: defaultSort, order: defaultOrder, total: 0, seq: 0 };
  const tbody = h('tbody');
  const info = h('span', { class: 'page-info', test: test ? `${test}-pageinfo` : undefined });
  const errHost = h('div');
  const prev = h('button', { type: 'button', class: 'btn small', test: test ? `${test}-prev` : undefined }, '‹ Prev');
  const next = h('button', { type: 'button', class: 'btn small', test: test ? `${test}-next` : undefined }, 'Next ›');
  const headCells = columns.map((c) => {
    if (!c.sort) return h('th', { scope: 'col', class: c.class }, c.label);
    const b = h('button', { type: 'button', class: 'sort', test: test ? `${test}-sort-${c.key}` : undefined }, c.label);
    b.addEventListener('click', () => {
      if (state.sort === c.sort) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else {
        state.sort = c.sort;
        state.order = 'asc';
      }
      state.offset = 0;
      reload();
    });
    return h('th', { scope: 'col', class: c.class, dataset: { sort: c.sort } }, b);
  });
  const table = h('table', { class: 'data', test }, h('thead', null, h('tr', null, headCells)), tbody);
  const el = h('div', { class: 'table-wrap' }, errHost, h('div', { class: 'scroll-x' }, table), h('div', { class: 'pager' }, prev, info, next));

  async function reload(keepPage = true) {
    if (!keepPage) state.offset = 0;
    const seq = ++state.seq;
    let res;
    try {
      res = await load({ offset: state.offset, limit: state.limit, sort: state.sort, order: state.order });
    } catch (e) {
      if (seq === state.seq) mount(errHost, errorBox(e));
      return;
    }
    if (seq !== state.seq) return; // a newer load won
    mount(errHost);
    const rows = res.rows || [];
    state.total = Number(res.total ?? rows.length);
    if (rows.length === 0 && state.offset > 0 && state.offset >= state.total) {
      state.offset = Math.max(0, state.total - state.limit);
      return reload();
    }
    for (const th of headCells) {
      const s = th.dataset.sort;
      th.setAttribute('aria-sort', s && s === state.sort ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    const focus = focusedIn(tbody);
    if (rows.length === 0) {
      mount(tbody, h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty)));
    } else {
      mount(tbody, rows.map((r) => h('tr', { test: rowTest ? rowTest(r) : undefined },
        columns.map((c) => {
          const v = c.render ? c.render(r) : r[c.key];
          return h('td', { class: c.class, dataset: { label: c.label } }, v === undefined || v === null ? '' : v);
        }))));
    }
    refocus(tbody, focus);
    const from = state.total === 0 ? 0 : state.offset + 1;
    const to = Math.min(state.offset + rows.length, state.total);
    info.textContent = `${from}–${to} of ${fmtNum(state.total)}`;
    prev.disabled = state.offset === 0;
    next.disabled = state.offset + state.limit >= state.total;
  }
  prev.addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - state.limit);
    reload();
  });
  next.addEventListener('click', () => {
    state.offset += state.limit;
    reload();
  });
  reload();
  return { el, reload, state };
}

/**
 * localPage sorts and pages an array in the browser, for the few APIs that return everything at
 * once (their lists are short: brokers, partitions of one topic). Use as a dataTable load.
 */
export function localPage(rows, { offset, limit, sort, order }) {
  let out = rows.slice();
  if (sort) {
    out.sort((a, b) => {
      const x = a[sort];
      const y = b[sort];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), 'en', { numeric: true });
      return order === 'desc' ? -c : c;
    });
  }
  return { rows: out.slice(offset, offset + limit), total: rows.length };
}

// ---- layout ---------------------------------------------------------------------------------------

/** page is a page's frame: a title, optional actions on the right, and the content. */
export function page(title, actions, ...content) {
  const el = h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', { test: 'page-title' }, title), h('div', { class: 'actions' }, actions)),
    content);
  for (const p of polls) if (!p.owner) p.owner = el;
  return el;
}

/** instanceNav is the sub-navigation of an instance's pages; active is the tab's key. */
export function instanceNav(id, active) {
  const enc = encodeURIComponent(id);
  const tabs = [
    ['overview', 'Overview', `#/instances/${enc}`],
    ['topics', 'Topics', `#/instances/${enc}/topics`],
    ['messages', 'Messages', `#/instances/${enc}/messages`],
    ['groups', 'Consumer groups', `#/instances/${enc}/groups`],
  ];
  if (!scopedInstance()) {
    tabs.push(['users', 'Users & ACLs', `#/instances/${enc}/users`]);
    tabs.push(['quotas', 'Quotas', `#/instances/${enc}/quotas`]);
  }
  tabs.push(['diagnosis', 'Diagnosis', `#/instances/${enc}/diagnosis`]);
  return h('nav', { class: 'tabs', test: 'instance-nav', attrs: { 'aria-label': 'Instance' } },
    tabs.map(([k, label, href]) => h('a', { href, class: k === active ? 'active' : '', test: `tab-${k}`, attrs: { 'aria-current': k === active ? 'page' : undefined } }, label)));
}

/** pretty returns JSON text formatted when s parses as JSON, else null. */
export function prettyJSON(s) {
  if (typeof s !== 'string') return null;
  const t = s.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

// ---- refreshes that keep the keyboard's place ------------------------------------------------------

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]';

/**
 * focusedIn tells where the focus is inside container (a tbody, a panel) before a refresh replaces
 * its children: the child's index, and the element's data-test and index among the child's
 * focusable elements. null when the focus is elsewhere.
 */
export function focusedIn(container) {
  const a = document.activeElement;
  if (!a || a === container || !container.contains(a)) return null;
  let child = a;
  while (child.parentElement !== container) child = child.parentElement;
  return {
    child: [...container.children].indexOf(child),
    test: a.dataset ? a.dataset.test : undefined,
    index: [...child.querySelectorAll(FOCUSABLE)].indexOf(a),
  };
}

/** refocus puts the focus back on the equivalent element after the refresh (see focusedIn). */
export function refocus(container, where) {
  if (!where) return;
  const child = container.children[Math.min(where.child, container.children.length - 1)];
  if (!child) return;
  const all = [...child.querySelectorAll(FOCUSABLE)];
  const el = (where.test && all.find((e) => e.dataset.test === where.test)) || all[where.index] || all[0];
  if (el) el.focus({ preventScroll: true });
}

/**
 * mountChanged mounts build()'s nodes in el unless key (what they are built from) is the one
 * mounted last: a poll that finds nothing new leaves the panel, its focus and open controls alone.
 */
const mountedKeys = new WeakMap();

export function mountChanged(el, key, build) {
  const k = typeof key === 'string' ? key : JSON.stringify(key);
  if (mountedKeys.get(el) === k) return el;
  const focus = focusedIn(el);
  mount(el, build());
  mountedKeys.set(el, k);
  refocus(el, focus);
  return el;
}

/** closeModals closes every open dialog (a navigation or a sign-out leaves none over the next page). */
export function closeModals() {
  for (const d of document.querySelectorAll('dialog.modal')) {
    if (d.open) d.close();
    d.remove();
  }
}

/** passwordInput is a new password's input (never filled from anything shown). */
export function passwordInput(test) {
  return h('input', { type: 'password', autocomplete: 'new-password', required: true, test });
}

/**
 * selectColumn is a dataTable column of checkboxes for a batch action: selected (a Set) holds
 * key(row) of the ticked rows, kept across pages and refreshes. opts: test (data-test, or a function
 * of the row), label(row) (the checkbox's accessible name), skip(row) (a row that cannot be picked
 * gets no checkbox). Add the column only when allowed(action, lifecycle) says the batch may run.
 */
export function selectColumn(selected, key, { test, label, skip } = {}) {
  return {
    key: 'select',
    label: 'Select',
    render: (r) => {
      if (skip && skip(r)) return '';
      const k = key(r);
      const cb = h('input', {
        type: 'checkbox', checked: selected.has(k), test: typeof test === 'function' ? test(r) : test,
        attrs: { 'aria-label': label ? label(r) : `Select ${k}` },
      });
      cb.addEventListener('change', () => (cb.checked ? selected.add(k) : selected.delete(k)));
      return cb;
    },
  };
}
