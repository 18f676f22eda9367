// User and client quotas of an instance (5.2.13-5.2.16): Kafka client quotas, producer and consumer
// byte rates per user, client id, or both, and the defaults of every user / client. Writes answer a
// job id and a task applies them; the list (polled) shows the result.

import { api, P } from '../api.js';
import { h, page, dataTable, modal, confirmAction, field, select, button, toast, poll, instanceNav, fmtBytes, fmtNum, allowed } from '../ui.js';

const MODIFY = 'dms:instance:modify';

function quotaPath(id) {
  return `/v2/kafka/${P()}/instances/${encodeURIComponent(id)}/kafka-user-client-quota`;
}

// entityBody is the quota's entity in the API's (hyphenated) keys.
function entityBody(q) {
  return { user: q.user || '', 'user-default': !!q['user-default'], client: q.client || '', 'client-default': !!q['client-default'] };
}

function userLabel(q) {
  if (q['user-default']) return h('em', null, 'every user (default)');
  return q.user ? h('span', { class: 'mono' }, q.user) : h('span', { class: 'muted' }, '—');
}

function clientLabel(q) {
  if (q['client-default']) return h('em', null, 'every client (default)');
  return q.client ? h('span', { class: 'mono' }, q.client) : h('span', { class: 'muted' }, '—');
}

function rateLabel(v) {
  const n = Number(v || 0);
  if (!n) return h('span', { class: 'muted' }, 'no limit');
  return h('span', { title: `${fmtNum(n)} B/s` }, `${fmtBytes(n)}/s`);
}

function entityKey(q) {
  return `${q['user-default'] ? '<default>' : q.user || ''}|${q['client-default'] ? '<default>' : q.client || ''}`;
}

// rateInput is a bytes/s field; empty means "not given" (a modify keeps that rate).
function rateInput(value, test) {
  return h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric', value: value ? String(value) : '', test });
}

function rateOf(input) {
  const s = input.value.trim();
  if (s === '') return undefined;
  const n = Number(s);
  // The server checks the range; a non-integer is sent as typed so its message names the field.
  return Number.isFinite(n) ? n : s;
}

function quotaDialog(id, existing, done) {
  const edit = !!existing;
  const userKind = select([['none', 'No user'], ['user', 'One user'], ['default', 'Every user (default)']],
    { test: 'quota-user-kind', value: existing ? (existing['user-default'] ? 'default' : existing.user ? 'user' : 'none') : 'user', disabled: edit });
  const user = h('input', { autocomplete: 'off', value: existing ? existing.user || '' : '', test: 'quota-user', disabled: edit });
  const clientKind = select([['none', 'No client id'], ['client', 'One client id'], ['default', 'Every client id (default)']],
    { test: 'quota-client-kind', value: existing ? (existing['client-default'] ? 'default' : existing.client ? 'client' : 'none') : 'none', disabled: edit });
  const client = h('input', { autocomplete: 'off', value: existing ? existing.client || '' : '', test: 'quota-client', disabled: edit });
  const prod = rateInput(existing && existing['producer-byte-rate'], 'quota-producer-rate');
  const cons = rateInput(existing && existing['consumer-byte-rate'], 'quota-consumer-rate');
  const userField = field('User name', user);
  const clientField = field('Client id', client);
  const sync = () => {
    userField.hidden = userKind.value !== 'user';
    clientField.hidden = clientKind.value !== 'client';
  };
  userKind.addEventListener('change', sync);
  clientKind.addEventListener('change', sync);
  sync();
  modal({
    title: edit ? 'Modify quota' : 'Create a quota',
    test: 'quota-dialog',
    body: [
      edit ? h('p', { class: 'muted' }, 'The user and client of a quota cannot change: delete it and create another.') : null,
      h('div', { class: 'grid2' },
        h('div', null, field('User', userKind), userField),
        h('div', null, field('Client', clientKind), clientField)),
      h('div', { class: 'grid2' },
        field('Producer byte rate (bytes/s)', prod, edit ? 'Empty keeps the current rate.' : 'Empty: no producer limit.'),
        field('Consumer byte rate (bytes/s)', cons, edit ? 'Empty keeps the current rate.' : 'Empty: no consumer limit.')),
    ],
    actions: [{
      label: edit ? 'Save' : 'Create', kind: 'primary', test: 'quota-save',
      onClick: async () => {
        const body = {
          user: userKind.value === 'user' ? user.value.trim() : '',
          'user-default': userKind.value === 'default',
          client: clientKind.value === 'client' ? client.value.trim() : '',
          'client-default': clientKind.value === 'default',
        };
        const p = rateOf(prod);
        const c = rateOf(cons);
        if (p !== undefined) body['producer-byte-rate'] = p;
        if (c !== undefined) body['consumer-byte-rate'] = c;
        const res = edit ? await api.put(quotaPath(id), body) : await api.post(quotaPath(id), body);
        toast(`${edit ? 'Modification' : 'Quota'} submitted (task ${res && res.job_id ? res.job_id : ''})`);
        done();
      },
    }],
  });
}

function deleteQuota(id, q, done) {
  const who = [q['user-default'] ? 'every user' : q.user && `user ${q.user}`, q['client-default'] ? 'every client' : q.client && `client ${q.client}`].filter(Boolean).join(' and ');
  return confirmAction({
    title: 'Delete this quota?',
    text: `The byte rates of ${who} are no longer limited by it.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(quotaPath(id), entityBody(q));
      toast('Deletion submitted');
      done();
    },
  });
}

async function render({ id }) {
  let table;
  const reload = () => table.reload();
  table = dataTable({
    test: 'quotas',
    empty: 'No quotas: clients produce and consume without byte-rate limits.',
    rowTest: (q) => `quota-${entityKey(q)}`,
    columns: [
      { key: 'user', label: 'User', render: userLabel },
      { key: 'client', label: 'Client id', render: clientLabel },
      { key: 'producer-byte-rate', label: 'Producer rate', class: 'num', render: (q) => rateLabel(q['producer-byte-rate']) },
      { key: 'consumer-byte-rate', label: 'Consumer rate', class: 'num', render: (q) => rateLabel(q['consumer-byte-rate']) },
      // A read-only caller has no action here: no empty column.
      allowed(MODIFY, true) && {
        key: 'actions', label: 'Actions', render: (q) => h('div', { class: 'actions' },
          button('Modify', () => quotaDialog(id, q, reload), { kind: 'small', test: `quota-modify-${entityKey(q)}`, action: MODIFY, lifecycle: true }),
          button('Delete', () => deleteQuota(id, q, reload), { kind: 'small danger', test: `quota-delete-${entityKey(q)}`, action: MODIFY, lifecycle: true })),
      },
    ].filter(Boolean),
    // 5.2.14 pages with offset/limit and answers the total as count.
    load: async ({ offset, limit }) => {
      const res = await api.get(quotaPath(id), { offset, limit });
      return { rows: res.quotas || [], total: res.count };
    },
  });
  table.el.querySelector('table').classList.add('cards');
  poll(reload, 5000);
  return page('Quotas', button('Create quota', () => quotaDialog(id, null, reload), { kind: 'primary', test: 'quota-create', action: MODIFY, lifecycle: true }),
    instanceNav(id, 'quotas'),
    h('p', { class: 'muted' }, 'Byte-rate limits per user (SASL user name), per client id, or per user and client id; a default applies to every user or client without its own quota. Changes are applied by a task and appear here within seconds.'),
    table.el);
}

export const routes = [
  { path: '/instances/:id/quotas', title: 'Quotas', render },
];
