// Kafka users of an instance (5.7.1-5.7.5) and their topic permissions (5.7.6 / 5.7.7). Users need
// the instance's SASL access mode: without it the API answers 400 and this page says so, with the
// API's error. Passwords are typed into password inputs and sent once; nothing shows them back.
//
// 5.7.7 makes a topic's policies exactly the list sent (a user left out loses access), so granting
// or revoking one user re-sends the topic's other policies as read just before.

import { api, P } from '../api.js';
import {
  h, page, dataTable, localPage, modal, confirmAction, field, select, button, badge, errorBox,
  toast, poll, instanceNav, fmtTime, allowed, passwordInput, selectColumn,
} from '../ui.js';

const MODIFY = 'dms:instance:modify';
// ACL_CLASS maps the API's access_policy to its badge style; a value the console does not know
// gets none (a class is never built from data).
const ACL_CLASS = { pub: 'acl-pub', sub: 'acl-sub', all: 'acl-all' };
const ACCESS = [['sub', 'sub: consume'], ['pub', 'pub: produce'], ['all', 'all: produce and consume']];

function usersPath(id) {
  return `/v2/${P()}/instances/${encodeURIComponent(id)}/users`;
}

function policyPath(id, topic) {
  return `/v1/${P()}/instances/${encodeURIComponent(id)}/topics/${encodeURIComponent(topic)}/accesspolicy`;
}

async function listUsers(id) {
  const res = await api.get(usersPath(id));
  return res.users || [];
}

async function topicPolicies(id, topic) {
  const res = await api.get(policyPath(id, topic));
  return res.policies || [];
}

// setPolicies sends a topic's whole policy list (5.7.7).
function setPolicies(id, topic, policies) {
  return api.post(`/v1/${P()}/instances/${encodeURIComponent(id)}/topics/accesspolicy`, {
    topics: [{ name: topic, policies: policies.map((p) => ({ user_name: p.user_name, access_policy: p.access_policy })) }],
  });
}

// ---- users ----------------------------------------------------------------------------------------

function createUserDialog(id, done) {
  const name = h('input', { required: true, autocomplete: 'off', test: 'kafka-user-name', attrs: { maxlength: 64 } });
  const pass = passwordInput('kafka-user-password');
  const desc = h('input', { autocomplete: 'off', test: 'kafka-user-desc' });
  modal({
    title: 'Create a Kafka user',
    test: 'kafka-user-dialog',
    body: [
      field('User name', name, '4-64 characters: letters, digits, - and _, starting with a letter.'),
      field('Password', pass, '8-32 characters with three of: lower case, upper case, digits, special characters.'),
      field('Description', desc),
    ],
    actions: [{
      label: 'Create', kind: 'primary', test: 'kafka-user-create-ok',
      onClick: async () => {
        await api.post(usersPath(id), { user_name: name.value.trim(), user_passwd: pass.value, user_desc: desc.value });
        pass.value = '';
        toast(`User ${name.value.trim()} created`);
        done();
      },
    }],
  });
  setTimeout(() => name.focus());
}

function resetPasswordDialog(id, user, done) {
  const pass = passwordInput('kafka-user-new-password');
  modal({
    title: `New password for ${user.user_name}`,
    test: 'kafka-user-password-dialog',
    body: [field('New password', pass, user.default_app ? 'This is the instance\'s administrator: the new password is also the instance\'s (its clients must change too).' : 'Clients signed in with the old password fail at their next login.')],
    actions: [{
      label: 'Set password', kind: 'primary', test: 'kafka-user-password-ok',
      onClick: async () => {
        await api.put(`${usersPath(id)}/${encodeURIComponent(user.user_name)}`, { new_password: pass.value });
        pass.value = '';
        toast(`Password of ${user.user_name} changed`);
        done();
      },
    }],
  });
  setTimeout(() => pass.focus());
}

function describeDialog(id, user, done) {
  const desc = h('input', { value: user.user_desc || '', autocomplete: 'off', test: 'kafka-user-edit-desc' });
  modal({
    title: `Description of ${user.user_name}`,
    test: 'kafka-user-desc-dialog',
    body: [field('Description', desc)],
    actions: [{
      label: 'Save', kind: 'primary', test: 'kafka-user-desc-ok',
      onClick: async () => {
        await api.put(`/v2/kafka/${P()}/instances/${encodeURIComponent(id)}/users/${encodeURIComponent(user.user_name)}`, { user_desc: desc.value });
        toast('Saved');
        done();
      },
    }],
  });
}

function deleteUsers(id, names, done) {
  return confirmAction({
    title: names.length === 1 ? `Delete user ${names[0]}?` : `Delete ${names.length} users?`,
    text: `${names.join(', ')}: their clients can no longer sign in, and their topic permissions go with them.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.put(usersPath(id), { action: 'delete', users: names });
      toast(names.length === 1 ? `User ${names[0]} deleted` : `${names.length} users deleted`);
      done();
    },
  });
}

// usersPanel lists the users; state.users is the latest list (the grant dialog's choices).
function usersPanel(id, state) {
  const selected = new Set();
  let table;
  // A deleted user's permissions go too: every change reloads both tables (state.refresh).
  const reload = () => (state.refresh ? state.refresh() : table.reload());
  const delSelected = button('Delete selected', () => {
    if (selected.size === 0) {
      toast('Select the users to delete first', 'error');
      return;
    }
    deleteUsers(id, [...selected], () => {
      selected.clear();
      reload();
    });
  }, { kind: 'danger small', test: 'kafka-users-delete-selected', action: MODIFY, lifecycle: true });
  const columns = [];
  if (allowed(MODIFY, true)) {
    columns.push(selectColumn(selected, (u) => u.user_name, { test: (u) => `kafka-user-pick-${u.user_name}`, skip: (u) => u.default_app }));
  }
  columns.push(
    { key: 'user_name', label: 'User', sort: 'user_name', render: (u) => h('span', { class: 'mono', test: 'kafka-user-name-cell' }, u.user_name) },
    { key: 'user_desc', label: 'Description', render: (u) => u.user_desc || '' },
    { key: 'role', label: 'Role', render: (u) => (u.default_app ? h('span', null, u.role || '', ' ', badge('administrator')) : u.role || '') },
    { key: 'created_time', label: 'Created', sort: 'created_time', render: (u) => fmtTime(u.created_time) || 'outside OpenDMS' },
    allowed(MODIFY, true) && {
      key: 'actions', label: 'Actions', render: (u) => h('div', { class: 'actions' },
        button('Password', () => resetPasswordDialog(id, u, reload), { kind: 'small', test: `kafka-user-password-${u.user_name}`, action: MODIFY, lifecycle: true }),
        button('Description', () => describeDialog(id, u, reload), { kind: 'small', test: `kafka-user-describe-${u.user_name}`, action: MODIFY, lifecycle: true }),
        u.default_app ? null : button('Delete', () => deleteUsers(id, [u.user_name], reload), { kind: 'small danger', test: `kafka-user-delete-${u.user_name}`, action: MODIFY, lifecycle: true })),
    },
  );
  const shown = columns.filter(Boolean);
  let first = state.users;
  table = dataTable({
    columns: shown,
    test: 'kafka-users',
    empty: 'No Kafka users yet.',
    rowTest: (u) => `kafka-user-${u.user_name}`,
    defaultSort: 'user_name',
    load: async (q) => {
      const rows = first || await listUsers(id);
      first = null;
      state.users = rows;
      for (const n of [...selected]) if (!rows.some((u) => u.user_name === n)) selected.delete(n);
      return localPage(rows, q);
    },
  });
  table.el.querySelector('table').classList.add('cards');
  return {
    table,
    el: h('div', { class: 'panel', test: 'kafka-users-panel' },
      h('div', { class: 'page-head' },
        h('h2', null, 'Kafka users'),
        h('div', { class: 'actions' },
          button('Create user', () => createUserDialog(id, reload), { kind: 'primary', test: 'kafka-user-create', action: MODIFY, lifecycle: true }),
          delSelected)),
      h('p', { class: 'muted' }, 'SASL users that clients sign in with (SCRAM-SHA-512, and PLAIN where enabled). A new user has no permission until granted on a topic below.'),
      table.el),
  };
}

// ---- topic permissions ----------------------------------------------------------------------------

function grantDialog(id, topic, userNames, done) {
  if (userNames.length === 0) {
    toast('Create a Kafka user first', 'error');
    return;
  }
  const user = select(userNames, { test: 'acl-user' });
  const access = select(ACCESS, { test: 'acl-access', value: 'sub' });
  modal({
    title: `Grant a user access to ${topic}`,
    test: 'acl-dialog',
    body: [field('User', user), field('Permission', access, 'A user already on the topic gets this permission instead of its current one.')],
    actions: [{
      label: 'Grant', kind: 'primary', test: 'acl-grant-ok',
      onClick: async () => {
        // The topic's other users keep what they have: their policies are read again just now.
        const current = await topicPolicies(id, topic);
        const next = current.filter((p) => p.user_name !== user.value);
        next.push({ user_name: user.value, access_policy: access.value });
        await setPolicies(id, topic, next);
        toast(`${user.value} may now ${access.value} on ${topic}`);
        done();
      },
    }],
  });
}

function revoke(id, topic, userName, done) {
  return confirmAction({
    title: `Revoke ${userName} on ${topic}?`,
    text: `${userName} loses every permission on the topic ${topic}.`,
    confirmLabel: 'Revoke',
    run: async () => {
      const current = await topicPolicies(id, topic);
      await setPolicies(id, topic, current.filter((p) => p.user_name !== userName));
      toast(`${userName} revoked on ${topic}`);
      done();
    },
  });
}

function policyList(id, topic, policies, reload) {
  if (policies.length === 0) return h('span', { class: 'muted', test: `acl-${topic}-none` }, 'No user');
  return h('ul', { class: 'acl-list' }, policies.map((p) => h('li', { test: `acl-${topic}-${p.user_name}`, dataset: { access: p.access_policy } },
    h('span', { class: 'mono' }, p.user_name), h('span', { class: ['badge', ACL_CLASS[p.access_policy]] }, p.access_policy),
    button('Revoke', () => revoke(id, topic, p.user_name, reload), { kind: 'small', test: `acl-revoke-${topic}-${p.user_name}`, action: MODIFY, lifecycle: true }))));
}

function aclPanel(id, state) {
  let table;
  const reload = () => (state.refresh ? state.refresh() : table.reload());
  table = dataTable({
    test: 'topic-acls',
    empty: 'No topics yet.',
    rowTest: (t) => `acl-topic-${t.name}`,
    columns: [
      { key: 'name', label: 'Topic', render: (t) => h('span', { class: 'mono' }, t.name) },
      { key: 'policies', label: 'Users (pub / sub / all)', render: (t) => (t.error ? errorBox(t.error) : policyList(id, t.name, t.policies, reload)) },
      allowed(MODIFY, true) && { key: 'actions', label: 'Actions', render: (t) => button('Grant', () => grantDialog(id, t.name, state.users.filter((u) => !u.default_app).map((u) => u.user_name), reload), { kind: 'small', test: `acl-grant-${t.name}`, action: MODIFY, lifecycle: true }) },
    ].filter(Boolean),
    // The topic list pages on the server; each listed topic's policies are one 5.7.6 call.
    load: async ({ offset, limit }) => {
      const res = await api.get(`/v2/${P()}/instances/${encodeURIComponent(id)}/topics`, { offset, limit });
      const rows = await Promise.all((res.topics || []).map(async (t) => {
        try {
          return { name: t.name, policies: await topicPolicies(id, t.name) };
        } catch (e) {
          return { name: t.name, policies: [], error: e };
        }
      }));
      return { rows, total: res.total };
    },
  });
  table.el.querySelector('table').classList.add('cards');
  return {
    table,
    el: h('div', { class: 'panel', test: 'topic-acls-panel' },
      h('h2', null, 'Topic permissions'),
      h('p', { class: 'muted' }, 'pub: produce; sub: consume (and commit offsets in any group); all: both. The instance administrator has every permission and is not listed.'),
      table.el),
  };
}

// ---- page -----------------------------------------------------------------------------------------

async function render({ id }) {
  const nav = instanceNav(id, 'users');
  let users;
  try {
    users = await listUsers(id);
  } catch (err) {
    // 400 without SASL (the reference: users exist "only when SASL is enabled"). The instance's
    // ssl_enable tells whether that is the reason, so the page says it plainly.
    let saslOff = false;
    try {
      const inst = await api.get(`/v2/${P()}/instances/${encodeURIComponent(id)}`);
      saslOff = inst && inst.ssl_enable === false;
    } catch {
      // the users error below is what matters
    }
    return page(`Users & ACLs`, null, nav,
      h('div', { class: 'panel', test: saslOff ? 'sasl-off' : 'users-error' },
        saslOff ? h('p', null, h('strong', null, 'SASL is off on this instance, so it has no Kafka users and no topic permissions: '),
          'every client connects without signing in. Kafka users need an instance created with SASL (ssl_enable) or changed to a SASL access mode.') : null,
        errorBox(err)));
  }
  const state = { users };
  const up = usersPanel(id, state);
  const acl = aclPanel(id, state);
  state.refresh = () => Promise.all([up.table.reload(), acl.table.reload()]);
  poll(state.refresh, 5000);
  return page('Users & ACLs', null, nav, up.el, acl.el);
}

export const routes = [
  { path: '/instances/:id/users', title: 'Users & ACLs', render },
];
