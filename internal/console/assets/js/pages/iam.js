// IAM pages for account administrators (the /opendms/v1 admin API, internal/httpapi/admin.go):
// accounts, users (create, enable/disable, password, delete), a user's access keys (the secret key
// is shown once, in the dialog of its creation), policies (system roles and custom JSON policies)
// and role bindings (a role granted to a user in a project). The server refuses every call of a
// non-administrator; the pages say so rather than showing empty lists.

import { api, isAdmin, whoami } from '../api.js';
import {
  h, mount, page, dataTable, localPage, modal, confirmAction, field, select, button, badge, errorBox,
  toast, poll, kv, fmtTime, copyButton, download, passwordInput,
} from '../ui.js';

const A = '/opendms/v1';

function adminOnly() {
  return page('IAM', null, iamNav(''),
    h('div', { class: 'panel', test: 'iam-admin-only' }, h('p', null, 'Only the account\'s administrators manage IAM users, keys and policies.')));
}

function userPath(name) {
  return `${A}/users/${encodeURIComponent(name)}`;
}

async function projects() {
  const res = await api.get(`${A}/projects`);
  return res.projects || [];
}

async function policies() {
  const res = await api.get(`${A}/policies`);
  return res.policies || [];
}

async function users() {
  const res = await api.get(`${A}/users`);
  return res.users || [];
}

// clientError is an error found in the browser before any call, shown like the API's.
function clientError(code, message) {
  return Object.assign(new Error(message), { code });
}

// ---- secrets shown once ---------------------------------------------------------------------------

// showSecretOnce shows a new access key's secret: the only time anyone sees it (the server keeps it
// sealed and never returns it again). The dialog offers copy and a CSV download.
function showSecretOnce(key) {
  const ak = key.access_key;
  const sk = key.secret_key;
  modal({
    title: 'Access key created',
    test: 'secret-once',
    body: [
      h('p', { class: 'warn', test: 'secret-once-warning' }, h('strong', null, 'Save the secret key now: it will not be shown again. '),
        'If it is lost, delete this access key and create another.'),
      kv([
        ['User', key.user || ''],
        ['Access key (AK)', h('span', null, h('code', { test: 'secret-once-ak' }, ak), ' ', copyButton(ak, 'copy-ak'))],
        ['Secret key (SK)', h('span', null, h('code', { test: 'secret-once-sk' }, sk), ' ', copyButton(sk, 'copy-sk'))],
      ]),
      h('p', null, h('button', {
        type: 'button', class: 'btn small', test: 'secret-once-download',
        on: { click: () => download(`User Name,Access Key Id,Secret Access Key\n${key.user || ''},${ak},${sk}\n`, 'credentials.csv', 'text/csv') },
      }, 'Download credentials.csv')),
    ],
    actions: [{ label: 'I have saved it', kind: 'primary', test: 'secret-once-done' }],
  });
}

// ---- navigation -----------------------------------------------------------------------------------

/** iamNav is the sub-navigation of the IAM pages; active is the tab's key. */
export function iamNav(active) {
  const tabs = [
    ['users', 'Users', '#/iam/users'],
    ['policies', 'Policies', '#/iam/policies'],
    ['bindings', 'Role bindings', '#/iam/bindings'],
    ['accounts', 'Accounts', '#/iam/accounts'],
  ];
  return h('nav', { class: 'tabs', test: 'iam-nav', attrs: { 'aria-label': 'IAM' } },
    tabs.map(([k, label, href]) => h('a', { href, class: k === active ? 'active' : '', test: `iam-tab-${k}`, attrs: { 'aria-current': k === active ? 'page' : undefined } }, label)));
}

// ---- users ----------------------------------------------------------------------------------------

function createUserDialog(done) {
  const name = h('input', { required: true, autocomplete: 'off', test: 'iam-user-name' });
  const pass = passwordInput('iam-user-password');
  const admin = h('input', { type: 'checkbox', id: 'iam-user-admin', test: 'iam-user-admin' });
  modal({
    title: 'Create an IAM user',
    test: 'iam-user-dialog',
    body: [
      field('Name', name),
      field('Password', pass),
      h('div', { class: 'field inline' }, admin, h('label', { for: 'iam-user-admin' }, 'Administrator of the account (every action, and IAM)')),
      h('p', { class: 'muted' }, 'A user who is not an administrator can do nothing until a role is bound to it in a project.'),
    ],
    actions: [{
      label: 'Create', kind: 'primary', test: 'iam-user-create-ok',
      onClick: async () => {
        await api.post(`${A}/users`, { name: name.value.trim(), password: pass.value, admin: admin.checked });
        pass.value = '';
        toast(`User ${name.value.trim()} created`);
        done();
      },
    }],
  });
  setTimeout(() => name.focus());
}

function setPasswordDialog(name, done) {
  const pass = passwordInput('iam-new-password');
  modal({
    title: `New password for ${name}`,
    test: 'iam-password-dialog',
    body: [field('New password', pass)],
    actions: [{
      label: 'Set password', kind: 'primary', test: 'iam-password-ok',
      onClick: async () => {
        await api.put(`${userPath(name)}/password`, { password: pass.value });
        pass.value = '';
        toast(`Password of ${name} set`);
        if (done) done();
      },
    }],
  });
  setTimeout(() => pass.focus());
}

function setEnabled(u, enabled, done) {
  const run = async () => {
    await api.patch(userPath(u.name), { enabled });
    toast(`${u.name} ${enabled ? 'enabled' : 'disabled'}`);
    done();
  };
  if (enabled) return run().catch((e) => toast(e, 'error'));
  return confirmAction({
    title: `Disable ${u.name}?`,
    text: `${u.name} can no longer sign in or call the API with its keys; its current sessions end.`,
    confirmLabel: 'Disable',
    run,
  });
}

function deleteUser(name, done) {
  return confirmAction({
    title: `Delete IAM user ${name}?`,
    text: `${name}, its access keys and its role bindings are deleted.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(userPath(name));
      toast(`User ${name} deleted`);
      done();
    },
  });
}

function userActions(u, done) {
  const self = whoami() && whoami().user && whoami().user.id === u.id;
  return h('div', { class: 'actions' },
    h('a', { class: 'btn small', href: `#/iam/users/${encodeURIComponent(u.name)}`, test: `iam-user-open-${u.name}` }, 'Keys & roles'),
    button('Password', () => setPasswordDialog(u.name, done), { kind: 'small', test: `iam-user-password-${u.name}` }),
    self ? null : u.enabled
      ? button('Disable', () => setEnabled(u, false, done), { kind: 'small', test: `iam-user-disable-${u.name}` })
      : button('Enable', () => setEnabled(u, true, done), { kind: 'small', test: `iam-user-enable-${u.name}` }),
    self ? null : button('Delete', () => deleteUser(u.name, done), { kind: 'small danger', test: `iam-user-delete-${u.name}` }));
}

async function usersPage() {
  if (!isAdmin()) return adminOnly();
  let table;
  const reload = () => table.reload();
  table = dataTable({
    test: 'iam-users',
    empty: 'No users.',
    rowTest: (u) => `iam-user-${u.name}`,
    defaultSort: 'name',
    columns: [
      { key: 'name', label: 'Name', sort: 'name', render: (u) => h('a', { href: `#/iam/users/${encodeURIComponent(u.name)}` }, u.name) },
      { key: 'admin', label: 'Administrator', render: (u) => (u.admin ? 'yes' : 'no') },
      { key: 'enabled', label: 'Status', render: (u) => badge(u.enabled ? 'ENABLED' : 'DISABLED') },
      { key: 'created_at', label: 'Created', sort: 'created_at', render: (u) => fmtTime(u.created_at) },
      { key: 'actions', label: 'Actions', render: (u) => userActions(u, reload) },
    ],
    load: async (q) => localPage(await users(), q),
  });
  table.el.querySelector('table').classList.add('cards');
  poll(reload, 5000);
  return page('IAM users', button('Create user', () => createUserDialog(reload), { kind: 'primary', test: 'iam-user-create' }),
    iamNav('users'), table.el);
}

// ---- one user: keys and roles ---------------------------------------------------------------------

function createKeyDialog(name, done) {
  const desc = h('input', { autocomplete: 'off', test: 'iam-key-desc' });
  modal({
    title: `Create an access key for ${name}`,
    test: 'iam-key-dialog',
    body: [field('Description', desc, 'Optional: what the key is for.')],
    actions: [{
      label: 'Create', kind: 'primary', test: 'iam-key-create-ok',
      onClick: async () => {
        const key = await api.post(`${userPath(name)}/access-keys`, desc.value ? { description: desc.value } : null);
        done();
        // Shown after this dialog closes, in its own dialog.
        setTimeout(() => showSecretOnce(key));
      },
    }],
  });
}

function deleteKey(name, ak, done) {
  return confirmAction({
    title: `Delete access key ${ak}?`,
    text: `Requests signed with ${ak} are refused from now on.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(`${userPath(name)}/access-keys/${encodeURIComponent(ak)}`);
      toast(`Access key ${ak} deleted`);
      done();
    },
  });
}

// grantDialog binds a role to a user in a project; user is fixed when given.
async function grantDialog(fixedUser, done) {
  const [ps, pols, us] = await Promise.all([projects(), policies(), fixedUser ? Promise.resolve([]) : users()]);
  const user = fixedUser ? null : select(us.map((u) => u.name), { test: 'binding-user' });
  const project = select(ps.map((p) => [p.id, `${p.name} (${p.id})`]), { test: 'binding-project' });
  const role = select(pols.map((p) => [p.name, p.system ? `${p.name} (system role)` : p.name]), { test: 'binding-role' });
  modal({
    title: fixedUser ? `Grant a role to ${fixedUser}` : 'Grant a role',
    test: 'binding-dialog',
    body: [user ? field('User', user) : null, field('Project', project), field('Role or policy', role)],
    actions: [{
      label: 'Grant', kind: 'primary', test: 'binding-grant-ok',
      onClick: async () => {
        const u = fixedUser || user.value;
        await api.post(`${A}/role-bindings`, { user: u, project_id: project.value, role: role.value });
        toast(`${role.value} granted to ${u}`);
        done();
      },
    }],
  });
}

function revokeBinding(b, done) {
  return confirmAction({
    title: `Revoke ${b.role} from ${b.user}?`,
    text: `${b.user} loses what ${b.role} allows in project ${b.project_id}.`,
    confirmLabel: 'Revoke',
    run: async () => {
      await api.del(`${A}/role-bindings`, { user: b.user, project_id: b.project_id, role: b.role });
      toast('Role binding revoked');
      done();
    },
  });
}

function projectName(ps, id) {
  const p = ps.find((x) => x.id === id);
  return p ? h('span', { title: id }, p.name) : h('span', { class: 'mono' }, id);
}

function bindingsTable(load, ps, done, test) {
  const t = dataTable({
    test,
    empty: 'No role bound: the user can do nothing (unless an administrator).',
    rowTest: (b) => `binding-${b.user}-${b.role}`,
    defaultSort: 'user',
    columns: [
      { key: 'user', label: 'User', sort: 'user' },
      { key: 'role', label: 'Role', sort: 'role' },
      { key: 'project_id', label: 'Project', render: (b) => projectName(ps, b.project_id) },
      { key: 'actions', label: 'Actions', render: (b) => button('Revoke', () => revokeBinding(b, done), { kind: 'small danger', test: `binding-revoke-${b.user}-${b.role}` }) },
    ],
    load,
  });
  t.el.querySelector('table').classList.add('cards');
  return t;
}

async function userPage({ name }) {
  if (!isAdmin()) return adminOnly();
  const [res, ps] = await Promise.all([api.get(userPath(name)), projects()]);
  const u = res.user;
  const info = h('div');
  const showInfo = (x) => mount(info, kv([
    ['Name', x.name], ['ID', h('span', { class: 'mono' }, x.id)], ['Administrator', x.admin ? 'yes' : 'no'],
    ['Status', badge(x.enabled ? 'ENABLED' : 'DISABLED')], ['Created', fmtTime(x.created_at)],
  ], 'iam-user-info'));
  showInfo(u);
  let keys;
  let roles;
  const reloadAll = () => Promise.all([keys.reload(), roles.reload(), api.get(userPath(name)).then((r) => showInfo(r.user))]);
  keys = dataTable({
    test: 'iam-keys',
    empty: 'No access key.',
    rowTest: (k) => `iam-key-${k.access_key}`,
    columns: [
      { key: 'access_key', label: 'Access key', render: (k) => h('code', null, k.access_key) },
      { key: 'description', label: 'Description' },
      { key: 'enabled', label: 'Status', render: (k) => badge(k.enabled ? 'ENABLED' : 'DISABLED') },
      { key: 'created_at', label: 'Created', render: (k) => fmtTime(k.created_at) },
      { key: 'actions', label: 'Actions', render: (k) => button('Delete', () => deleteKey(name, k.access_key, reloadAll), { kind: 'small danger', test: `iam-key-delete-${k.access_key}` }) },
    ],
    load: async (q) => localPage((await api.get(`${userPath(name)}/access-keys`)).access_keys || [], q),
  });
  keys.el.querySelector('table').classList.add('cards');
  roles = bindingsTable(async (q) => localPage((await api.get(userPath(name))).user.roles || [], q), ps, () => reloadAll(), 'iam-user-roles');
  poll(reloadAll, 5000);
  const self = whoami() && whoami().user && whoami().user.id === u.id;
  return page(`IAM user ${u.name}`,
    [
      button('Set password', () => setPasswordDialog(name), { kind: '', test: 'iam-user-set-password' }),
      self ? null : button(u.enabled ? 'Disable' : 'Enable', () => setEnabled(u, !u.enabled, () => go('#/iam/users/' + encodeURIComponent(name))), { test: 'iam-user-toggle' }),
      self ? null : button('Delete', () => deleteUser(name, () => { location.hash = '#/iam/users'; }), { kind: 'danger', test: 'iam-user-delete' }),
    ],
    iamNav('users'),
    h('div', { class: 'panel' }, info),
    h('div', { class: 'panel', test: 'iam-keys-panel' },
      h('div', { class: 'page-head' }, h('h2', null, 'Access keys'),
        button('Create access key', () => createKeyDialog(name, reloadAll), { kind: 'primary', test: 'iam-key-create' })),
      h('p', { class: 'muted' }, 'AK/SK pairs sign API calls (SDKs, Terraform, dmsctl). The secret key is shown once, when the key is created.'),
      keys.el),
    h('div', { class: 'panel', test: 'iam-user-roles-panel' },
      h('div', { class: 'page-head' }, h('h2', null, 'Roles'),
        button('Grant role', () => grantDialog(name, reloadAll).catch((e) => toast(e, 'error')), { kind: 'primary', test: 'iam-user-grant' })),
      roles.el));
}

// go re-renders the current page (after a change that alters the page's buttons).
function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// ---- policies -------------------------------------------------------------------------------------

const POLICY_TEMPLATE = JSON.stringify({
  Version: '1.1',
  Statement: [{ Effect: 'Allow', Action: ['dms:instance:get', 'dms:instance:list'] }],
}, null, 2);

// checkPolicy parses and checks a policy document's shape before it is sent, so a typo is found at
// once with its position; the server checks it again (iam.ParsePolicy) and has the last word.
export function checkPolicy(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw clientError('INVALID_JSON', `The policy is not valid JSON: ${e.message}`);
  }
  const bad = (m) => clientError('INVALID_POLICY', m);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('The policy must be a JSON object: {"Version":"1.1","Statement":[...]}.');
  if (doc.Version !== '1.1' && doc.Version !== '1.0') throw bad('Version must be "1.1".');
  if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) throw bad('Statement must be a non-empty array.');
  doc.Statement.forEach((s, i) => {
    if (!s || typeof s !== 'object') throw bad(`Statement[${i}] must be an object.`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw bad(`Statement[${i}].Effect must be "Allow" or "Deny".`);
    if (!Array.isArray(s.Action) || s.Action.length === 0) throw bad(`Statement[${i}].Action must be a non-empty array.`);
    s.Action.forEach((a) => {
      if (typeof a !== 'string' || a.split(':').length !== 3) throw bad(`Statement[${i}].Action "${a}" must be service:resource:action, e.g. dms:instance:get.`);
    });
  });
  return doc;
}

function createPolicyDialog(done) {
  const name = h('input', { required: true, autocomplete: 'off', test: 'policy-name', attrs: { maxlength: 64 } });
  const desc = h('input', { autocomplete: 'off', test: 'policy-desc' });
  const doc = h('textarea', { rows: 12, spellcheck: 'false', test: 'policy-document', value: POLICY_TEMPLATE });
  const status = h('div', { test: 'policy-check', attrs: { 'aria-live': 'polite' } });
  const check = () => {
    try {
      checkPolicy(doc.value);
      mount(status, h('small', { class: 'ok-text' }, 'Valid policy document.'));
      return true;
    } catch (e) {
      mount(status, errorBox(e));
      return false;
    }
  };
  doc.addEventListener('input', check);
  modal({
    title: 'Create a custom policy',
    test: 'policy-dialog',
    wide: true,
    body: [field('Name', name), field('Description', desc), field('Policy document (JSON)', doc), status],
    actions: [{
      label: 'Create', kind: 'primary', test: 'policy-create-ok',
      onClick: async () => {
        const policy = checkPolicy(doc.value); // throws: the dialog shows the error and stays open
        await api.post(`${A}/policies`, { name: name.value.trim(), description: desc.value, policy });
        toast(`Policy ${name.value.trim()} created`);
        done();
      },
    }],
  });
}

function showPolicy(p) {
  let text = p.policy;
  try {
    text = JSON.stringify(JSON.parse(p.policy), null, 2);
  } catch {
    // shown as stored
  }
  modal({ title: p.name, test: 'policy-view', wide: true, body: [p.description ? h('p', null, p.description) : null, h('pre', { test: 'policy-view-document' }, text)] });
}

function deletePolicy(p, done) {
  return confirmAction({
    title: `Delete policy ${p.name}?`,
    text: `Users bound to ${p.name} lose what it allows.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(`${A}/policies/${encodeURIComponent(p.name)}`);
      toast(`Policy ${p.name} deleted`);
      done();
    },
  });
}

async function policiesPage() {
  if (!isAdmin()) return adminOnly();
  let table;
  const reload = () => table.reload();
  table = dataTable({
    test: 'iam-policies',
    rowTest: (p) => `policy-${p.name}`,
    defaultSort: 'name',
    columns: [
      { key: 'name', label: 'Name', sort: 'name' },
      { key: 'system', label: 'Type', render: (p) => (p.system ? 'system role' : 'custom policy') },
      { key: 'description', label: 'Description' },
      {
        key: 'actions', label: 'Actions', render: (p) => h('div', { class: 'actions' },
          button('View', () => showPolicy(p), { kind: 'small', test: `policy-view-${p.name}` }),
          p.system ? null : button('Delete', () => deletePolicy(p, reload), { kind: 'small danger', test: `policy-delete-${p.name}` })),
      },
    ],
    load: async (q) => localPage(await policies(), q),
  });
  table.el.querySelector('table').classList.add('cards');
  poll(reload, 5000);
  return page('Policies', button('Create policy', () => createPolicyDialog(reload), { kind: 'primary', test: 'policy-create' }),
    iamNav('policies'),
    h('p', { class: 'muted' }, 'System roles are built in; custom policies are JSON documents of Allow and Deny statements on actions such as dms:instance:get. A role does nothing until it is bound to a user in a project.'),
    table.el);
}

// ---- role bindings --------------------------------------------------------------------------------

async function bindingsPage() {
  if (!isAdmin()) return adminOnly();
  const ps = await projects();
  let table;
  const reload = () => table.reload();
  table = bindingsTable(async (q) => localPage((await api.get(`${A}/role-bindings`)).role_bindings || [], q), ps, () => reload(), 'iam-bindings');
  poll(reload, 5000);
  return page('Role bindings', button('Grant role', () => grantDialog(null, reload).catch((e) => toast(e, 'error')), { kind: 'primary', test: 'binding-create' }),
    iamNav('bindings'), table.el);
}

// ---- accounts -------------------------------------------------------------------------------------

function createAccountDialog(done) {
  const name = h('input', { required: true, autocomplete: 'off', test: 'account-name' });
  const adminName = h('input', { required: true, autocomplete: 'off', test: 'account-admin-name' });
  const pass = passwordInput('account-admin-password');
  const key = h('input', { type: 'checkbox', id: 'account-access-key', test: 'account-access-key' });
  modal({
    title: 'Create an account',
    test: 'account-dialog',
    body: [
      field('Account name', name),
      field('Administrator name', adminName),
      field('Administrator password', pass),
      h('div', { class: 'field inline' }, key, h('label', { for: 'account-access-key' }, 'Create an access key for the administrator (its secret is shown once)')),
      h('p', { class: 'muted' }, 'Only administrators of the bootstrap account create accounts. The new account gets a project named after the region.'),
    ],
    actions: [{
      label: 'Create', kind: 'primary', test: 'account-create-ok',
      onClick: async () => {
        const res = await api.post(`${A}/accounts`, { name: name.value.trim(), admin_name: adminName.value.trim(), admin_password: pass.value, create_access_key: key.checked });
        pass.value = '';
        toast(`Account ${res.account.name} created`);
        done();
        if (res.access_key) setTimeout(() => showSecretOnce(res.access_key));
      },
    }],
  });
}

async function accountsPage() {
  if (!isAdmin()) return adminOnly();
  let table;
  const reload = () => table.reload();
  table = dataTable({
    test: 'iam-accounts',
    rowTest: (a) => `account-${a.name}`,
    defaultSort: 'name',
    columns: [
      { key: 'name', label: 'Account', sort: 'name' },
      { key: 'id', label: 'ID', render: (a) => h('span', { class: 'mono' }, a.id) },
      { key: 'created_at', label: 'Created', sort: 'created_at', render: (a) => fmtTime(a.created_at) },
    ],
    load: async (q) => localPage((await api.get(`${A}/accounts`)).accounts || [], q),
  });
  table.el.querySelector('table').classList.add('cards');
  poll(reload, 5000);
  // The server lets only the bootstrap account's administrators create accounts; others see theirs.
  const who = whoami();
  const bootstrap = !!(who && who.account && who.account.name === 'admin');
  return page('Accounts', bootstrap ? button('Create account', () => createAccountDialog(reload), { kind: 'primary', test: 'account-create' }) : null,
    iamNav('accounts'),
    bootstrap ? null : h('p', { class: 'muted' }, 'Accounts are created by the administrators of the bootstrap account.'),
    table.el);
}

export const routes = [
  { path: '/iam', title: 'IAM', render: usersPage },
  { path: '/iam/users', title: 'IAM users', render: usersPage },
  { path: '/iam/users/:name', title: 'IAM user', render: userPage },
  { path: '/iam/policies', title: 'Policies', render: policiesPage },
  { path: '/iam/bindings', title: 'Role bindings', render: bindingsPage },
  { path: '/iam/accounts', title: 'Accounts', render: accountsPage },
];
