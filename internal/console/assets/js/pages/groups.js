// Consumer groups of an instance: the list (5.6.2, server paging and the name filter; create 5.6.4,
// delete 5.6.9 and 5.6.3), and a group's page: summary (5.6.8), members with their assignment
// (5.6.12, 5.6.1), topics with lag (5.6.11), per-partition offsets and lag (5.6.6), the description
// (5.6.10) and the offset reset (5.6.5), which is always previewed first with OpenDMS's dry_run=true
// (the offsets it would set next to the committed ones) and applies exactly the request previewed.

import { api, P } from '../api.js';
import {
  h, mount, page, dataTable, modal, confirmAction, field, select, button, kv, badge, errorBox, toast, poll,
  instanceNav, fmtNum, fmtTime, can, selectColumn,
} from '../ui.js';

const MODIFY = 'dms:instance:modify';
// A Kafka Manager sign-in may reset and delete groups (as CMAK does) but not create or describe
// them: those buttons are `lifecycle` ones (hidden for it, see ui.js button).

const enc = encodeURIComponent;

function groupsPath(id) {
  return `/v2/${P()}/instances/${enc(id)}/groups`;
}

function groupPath(id, group) {
  return `/v2/kafka/${P()}/instances/${enc(id)}/groups/${enc(group)}`;
}

function groupHref(id, group) {
  return `#/instances/${enc(id)}/groups/${enc(group)}`;
}

// ---- the list ---------------------------------------------------------------------------------------

async function listPage({ id }) {
  const selected = new Set();
  let filter = '';
  const filterInput = h('input', { type: 'search', name: 'group', test: 'group-filter', placeholder: 'part of a name' });
  const form = h('form', { class: 'form-row', test: 'group-filter-form', attrs: { role: 'search' } },
    field('Group name contains', filterInput),
    h('button', { type: 'submit', class: 'btn', test: 'group-filter-apply' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    filter = filterInput.value.trim();
    selected.clear();
    table.reload(false);
  });

  const canWrite = can(MODIFY);
  const columns = [];
  if (canWrite) {
    columns.push(selectColumn(selected, (g) => g.group_id, { test: 'group-select' }));
  }
  columns.push(
    { key: 'group_id', label: 'Group', sort: 'name', render: (g) => h('a', { href: groupHref(id, g.group_id), test: 'group-link' }, g.group_id) },
    { key: 'state', label: 'State', render: (g) => badge(g.state) },
    { key: 'lag', label: 'Lag', class: 'num', render: (g) => h('span', { test: 'group-lag' }, fmtNum(g.lag)) },
    { key: 'coordinator_id', label: 'Coordinator', class: 'num', render: (g) => `broker ${g.coordinator_id}` },
    { key: 'createdAt', label: 'Created', render: (g) => (g.createdAt ? fmtTime(g.createdAt) : '—') },
    { key: 'group_desc', label: 'Description', render: (g) => g.group_desc || '' },
  );
  if (canWrite) {
    columns.push({
      key: 'actions', label: 'Actions',
      render: (g) => button('Delete', () => deleteGroups(id, [g.group_id], () => table.reload()), { kind: 'small danger', test: 'group-delete', action: MODIFY }),
    });
  }

  const table = dataTable({
    test: 'groups',
    columns,
    empty: 'No consumer groups.',
    rowTest: (g) => `group-row-${g.group_id}`,
    // By name on the server; sort_dir=desc (an OpenDMS extension of 5.6.2) reverses it before paging.
    load: async ({ offset, limit, sort, order }) => {
      const res = await api.get(groupsPath(id), { offset, limit, group: filter, sort_key: sort, sort_dir: sort ? order : '' });
      return { rows: res.groups || [], total: res.total };
    },
  });
  table.el.querySelector('table').classList.add('cards');
  poll(() => table.reload());

  const actions = [
    button('Create group', () => createGroup(id, () => table.reload()), { kind: 'primary', test: 'group-create', action: MODIFY, lifecycle: true }),
    button('Delete selected', () => {
      if (selected.size === 0) {
        toast('Select groups to delete first.', 'error');
        return;
      }
      deleteGroups(id, [...selected], () => {
        selected.clear();
        table.reload();
      });
    }, { kind: 'danger', test: 'group-delete-selected', action: MODIFY }),
  ];
  return page('Consumer groups', actions, instanceNav(id, 'groups'), form, table.el);
}

function createGroup(id, done) {
  const name = h('input', { name: 'group_name', required: true, test: 'group-name', attrs: { maxlength: 64, autocomplete: 'off' } });
  const desc = h('textarea', { name: 'group_desc', test: 'group-desc', attrs: { maxlength: 1024, rows: 3 } });
  modal({
    title: 'Create a consumer group',
    test: 'group-create-dialog',
    body: [
      field('Name', name, '3-64 characters: letters, digits, ".", "_" and "-", starting with a letter or "_".'),
      field('Description (optional)', desc),
    ],
    actions: [{
      label: 'Create', kind: 'primary', test: 'group-create-ok',
      onClick: async () => {
        const body = { group_name: name.value.trim() };
        if (desc.value) body.group_desc = desc.value;
        await api.post(`/v2/${P()}/kafka/instances/${enc(id)}/group`, body);
        toast(`Group ${body.group_name} created`);
        done();
      },
    }],
  });
  setTimeout(() => name.focus());
}

// deleteGroups asks, then deletes one group (5.6.9) or several (5.6.3, which answers the failures).
function deleteGroups(id, names, done) {
  const one = names.length === 1;
  return confirmAction({
    title: one ? 'Delete consumer group' : `Delete ${names.length} consumer groups`,
    text: `Delete ${names.join(', ')}? Its committed offsets are lost. A group with active members is refused.`,
    confirmLabel: 'Delete',
    run: async () => {
      if (one) {
        await api.del(groupPath(id, names[0]));
        toast(`Group ${names[0]} deleted`);
      } else {
        const res = await api.post(`${groupsPath(id)}/batch-delete`, { group_ids: names });
        const failed = res.failed_groups || [];
        if (failed.length) {
          toast(`Not deleted: ${failed.map((f) => `${f.group_id} (${f.error_message})`).join('; ')}`, 'error');
        } else toast(`${names.length} groups deleted`);
      }
      done();
    },
  });
}

// ---- one group ----------------------------------------------------------------------------------------

async function groupPage({ id, group }) {
  const summaryHost = h('div', { class: 'panel', test: 'group-summary' });
  let assignments = new Map(); // member_id -> "topic: 0, 1; other: 2" from 5.6.1
  let state = '';

  async function loadSummary() {
    const [g8, g1] = await Promise.all([
      api.get(groupPath(id, group)),
      api.get(`/v2/${P()}/instances/${enc(id)}/management/groups/${enc(group)}`),
    ]);
    const g = g8.group || {};
    const d = g1.group || {};
    state = g.state || '';
    assignments = new Map((d.members || []).map((m) => [m.member_id,
      (m.assignment || []).map((a) => `${a.topic}: ${(a.partitions || []).join(', ')}`).join('; ')]));
    const offsets = d.group_message_offsets || [];
    const lag = offsets.reduce((s, o) => s + Number(o.lag || 0), 0);
    mount(summaryHost,
      h('h2', null, 'Summary'),
      kv([
        ['State', badge(g.state)],
        ['Coordinator', `broker ${g.coordinator_id}`],
        ['Assignment strategy', g.assignment_strategy || '—'],
        ['Members', h('span', { test: 'group-members-count' }, fmtNum((d.members || []).length))],
        ['Total lag', h('span', { test: 'group-total-lag' }, fmtNum(lag))],
        ['Created', g.createdAt ? fmtTime(g.createdAt) : '—'],
        ['Description', h('span', { test: 'group-description' }, g.group_desc || '—')],
      ]),
      state && state !== 'EMPTY'
        ? h('p', { class: 'muted', test: 'reset-hint' }, 'Offsets can be reset only while the group is EMPTY: stop its consumers first.')
        : null);
  }

  const members = dataTable({
    test: 'members',
    empty: 'No active members.',
    rowTest: (m) => `member-row-${m.member_id}`,
    columns: [
      { key: 'member_id', label: 'Member', render: (m) => h('span', { class: 'mono' }, m.member_id) },
      { key: 'client_id', label: 'Client' },
      { key: 'host', label: 'Host' },
      { key: 'assignment', label: 'Assignment', render: (m) => assignments.get(m.member_id) || '' },
    ],
    load: async ({ offset, limit }) => {
      const res = await api.get(`${groupPath(id, group)}/members`, { offset, limit });
      return { rows: res.members || [], total: res.total };
    },
  });
  members.el.querySelector('table').classList.add('cards');

  const topics = dataTable({
    test: 'group-topics',
    empty: 'The group has no committed offsets.',
    rowTest: (t) => `group-topic-row-${t.topic}`,
    defaultSort: 'messages',
    defaultOrder: 'desc',
    columns: [
      { key: 'topic', label: 'Topic', sort: 'topic' },
      { key: 'partitions', label: 'Partitions', class: 'num', sort: 'partition' },
      { key: 'lag', label: 'Lag', class: 'num', sort: 'messages', render: (t) => fmtNum(t.lag) },
    ],
    load: async ({ offset, limit, sort, order }) => {
      const res = await api.get(`${groupPath(id, group)}/topics`, { offset, limit, sort_key: sort, sort_dir: order });
      return { rows: res.topics || [], total: res.total };
    },
  });
  topics.el.querySelector('table').classList.add('cards');

  let offsetTopic = '';
  const topicFilter = h('input', { type: 'search', name: 'topic', test: 'offsets-topic-filter', placeholder: 'exact topic name' });
  const offsetForm = h('form', { class: 'form-row' }, field('Topic', topicFilter),
    h('button', { type: 'submit', class: 'btn', test: 'offsets-filter-apply' }, 'Filter'));
  offsetForm.addEventListener('submit', (e) => {
    e.preventDefault();
    offsetTopic = topicFilter.value.trim();
    offsets.reload(false);
  });
  const offsets = dataTable({
    test: 'offsets',
    pageSize: 20,
    empty: 'No committed offsets.',
    rowTest: (o) => `offset-row-${o.topic}-${o.partition}`,
    columns: [
      { key: 'topic', label: 'Topic' },
      { key: 'partition', label: 'Partition', class: 'num' },
      { key: 'message_current_offset', label: 'Committed', class: 'num', render: (o) => h('span', { test: 'offset-current' }, o.message_current_offset === '-1' ? '—' : fmtNum(o.message_current_offset)) },
      { key: 'message_log_start_offset', label: 'Log start', class: 'num', render: (o) => fmtNum(o.message_log_start_offset) },
      { key: 'message_log_end_offset', label: 'Log end', class: 'num', render: (o) => fmtNum(o.message_log_end_offset) },
      { key: 'lag', label: 'Lag', class: 'num', render: (o) => h('span', { test: 'offset-lag' }, fmtNum(o.lag)) },
      { key: 'consumer_id', label: 'Consumer', render: (o) => [o.client_id, o.host].filter(Boolean).join(' @ ') },
    ],
    load: async ({ offset, limit }) => {
      const res = await api.get(`${groupPath(id, group)}/message-offset`, { offset, limit, topic: offsetTopic });
      return { rows: res.group_message_offsets || [], total: res.total };
    },
  });
  offsets.el.querySelector('table').classList.add('cards');

  const errHost = h('div');
  async function refresh() {
    try {
      await loadSummary();
      mount(errHost);
    } catch (e) {
      mount(errHost, errorBox(e));
    }
    // Awaited, so the poll starts no refresh while these still load.
    await Promise.all([members.reload(), topics.reload(), offsets.reload()]);
  }
  await loadSummary();
  members.reload(); // again, now with the assignments
  poll(refresh);

  const actions = [
    button('Reset offsets', () => resetDialog(id, group, refresh), { kind: 'primary', test: 'group-reset', action: MODIFY }),
    button('Edit description', () => editDescription(id, group, refresh), { test: 'group-edit', action: MODIFY, lifecycle: true }),
    button('Delete', () => deleteGroups(id, [group], () => { location.hash = `#/instances/${enc(id)}/groups`; }), { kind: 'danger', test: 'group-delete', action: MODIFY }),
  ];
  return page(group, actions,
    instanceNav(id, 'groups'),
    h('p', null, h('a', { href: `#/instances/${enc(id)}/groups`, test: 'back-to-groups' }, '‹ All consumer groups')),
    errHost,
    summaryHost,
    h('div', { class: 'panel' }, h('h2', null, 'Members'), members.el),
    h('div', { class: 'panel' }, h('h2', null, 'Topics'), topics.el),
    h('div', { class: 'panel' }, h('h2', null, 'Offsets and lag per partition'), offsetForm, offsets.el));
}

function editDescription(id, group, done) {
  // Disabled until the current description is in: text typed before it came would be overwritten
  // by it (and the old description saved).
  const desc = h('textarea', { name: 'group_desc', test: 'group-desc', disabled: true, attrs: { maxlength: 1024, rows: 3 } });
  api.get(groupPath(id, group)).then((r) => { desc.value = (r.group && r.group.group_desc) || ''; }).catch(() => {})
    .finally(() => {
      desc.disabled = false;
      desc.focus();
    });
  modal({
    title: `Description of ${group}`,
    test: 'group-edit-dialog',
    body: field('Description', desc),
    actions: [{
      label: 'Save', kind: 'primary', test: 'group-edit-ok',
      onClick: async () => {
        if (desc.disabled) throw new Error('The current description is still loading.');
        await api.put(groupPath(id, group), { group_name: group, group_desc: desc.value });
        toast('Description saved');
        done();
      },
    }],
  });
}

// ---- reset with a preview -----------------------------------------------------------------------------

// Earliest and latest are offsets the API clamps to each partition's log start and end (5.6.5:
// "clamped to the earliest/latest available offset"): 0 and the largest integer JSON carries
// exactly from the browser.
const EARLIEST = 0;
const LATEST = Number.MAX_SAFE_INTEGER;

async function resetDialog(id, group, done) {
  const topicList = h('datalist', { id: 'reset-topics' });
  api.get(`${groupPath(id, group)}/topics`, { limit: 50, sort_key: 'topic', sort_dir: 'asc' })
    .then((r) => mount(topicList, (r.topics || []).map((t) => h('option', { value: t.topic }))))
    .catch(() => {});
  const topic = h('input', { name: 'topic', test: 'reset-topic', attrs: { list: 'reset-topics', autocomplete: 'off' } });
  const partition = h('input', { name: 'partition', type: 'number', value: '-1', test: 'reset-partition', attrs: { min: -1, step: 1 } });
  const target = select([['earliest', 'Earliest offset'], ['latest', 'Latest offset'], ['offset', 'A given offset'], ['time', 'A given time']],
    { name: 'target', test: 'reset-target', value: 'earliest' });
  const offset = h('input', { name: 'message_offset', type: 'number', test: 'reset-offset', attrs: { min: 0, step: 1 } });
  const time = h('input', { name: 'timestamp', type: 'datetime-local', test: 'reset-time', attrs: { step: 1 } });
  const offsetField = field('Offset', offset, 'Clamped to each partition\'s log start and end.');
  const timeField = field('Time (local)', time, 'The first message at or after this time; the log end when there is none.');
  const preview = h('div', { test: 'reset-preview-host', attrs: { 'aria-live': 'polite' } });
  let previewed = null; // the request body the preview shows; Apply sends exactly this
  let applyBtn = null;

  function showTarget() {
    offsetField.hidden = target.value !== 'offset';
    timeField.hidden = target.value !== 'time';
  }
  function body() {
    const b = { partition: Number(partition.value === '' ? -1 : partition.value) };
    if (!Number.isInteger(b.partition)) throw new Error('The partition must be a whole number (-1 for all).');
    if (topic.value.trim()) b.topic = topic.value.trim();
    switch (target.value) {
      case 'earliest': b.message_offset = EARLIEST; break;
      case 'latest': b.message_offset = LATEST; break;
      case 'offset':
        if (offset.value === '' || !Number.isInteger(Number(offset.value))) throw new Error('Give the offset to reset to.');
        b.message_offset = Number(offset.value);
        break;
      default: {
        const ms = new Date(time.value).getTime();
        if (!time.value || isNaN(ms)) throw new Error('Give the time to reset to.');
        b.timestamp = ms;
      }
    }
    return b;
  }
  // Any change of the form drops the preview: Apply only ever sends what was previewed.
  function invalidate() {
    previewed = null;
    mount(preview);
    if (applyBtn) applyBtn.disabled = true;
  }
  for (const el of [topic, partition, target, offset, time]) {
    el.addEventListener('input', invalidate);
    el.addEventListener('change', invalidate);
  }
  target.addEventListener('change', showTarget);
  showTarget();

  const path = `${groupPath(id, group)}/reset-message-offset`;
  const m = modal({
    title: `Reset the offsets of ${group}`,
    test: 'reset-dialog',
    wide: true,
    body: [
      h('p', { class: 'muted' }, 'The group must have no active consumers. Preview the new offsets, then apply them.'),
      h('div', { class: 'form-row' },
        field('Topic', topic, 'Empty: every topic the group has committed offsets for.'),
        field('Partition', partition, '-1: all partitions.'),
        field('Reset to', target, 'Earliest and latest: each partition\'s log start and end.')),
      topicList,
      offsetField,
      timeField,
      preview,
    ],
    actions: [
      {
        label: 'Preview', test: 'reset-preview',
        onClick: async () => {
          invalidate();
          const b = body();
          const res = await api.put(path, b, { dry_run: 'true' });
          previewed = b;
          mount(preview, previewTable(res.group_message_offsets || []));
          applyBtn.disabled = false;
          return false; // keep the dialog open
        },
      },
      {
        label: 'Apply', kind: 'danger', test: 'reset-apply',
        onClick: async () => {
          if (!previewed) throw new Error('Preview the reset first.');
          await api.put(path, previewed);
          toast(`Offsets of ${group} reset`);
          done();
        },
      },
    ],
  });
  applyBtn = m.el.querySelector('[data-test="reset-apply"]');
  applyBtn.disabled = true;
  // The modal re-enables a button after its click; Apply stays off until the next preview.
  applyBtn.addEventListener('click', () => setTimeout(() => { if (!previewed) applyBtn.disabled = true; }));
}

function previewTable(lines) {
  if (lines.length === 0) return h('p', { class: 'muted', test: 'reset-preview-empty' }, 'Nothing to reset.');
  const changed = lines.filter((l) => l.message_current_offset !== l.message_offset).length;
  return h('div', null,
    h('h3', null, 'Preview'),
    h('p', { class: 'muted', test: 'reset-preview-summary' }, `${changed} of ${lines.length} partitions change. Nothing is committed until you apply.`,
      ' Apply computes them again: records written meanwhile can move "latest" and time targets.'),
    h('div', { class: 'scroll-x' },
      h('table', { class: 'data cards', test: 'reset-preview-table' },
        h('thead', null, h('tr', null,
          ['Topic', 'Partition', 'Current', 'New', 'Lag after'].map((l, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : undefined }, l)))),
        h('tbody', null, lines.map((l) => h('tr', {
          test: `preview-row-${l.topic}-${l.partition}`,
          class: l.message_current_offset !== l.message_offset ? 'changed' : undefined,
        },
        h('td', { dataset: { label: 'Topic' } }, l.topic),
        h('td', { class: 'num', dataset: { label: 'Partition' } }, String(l.partition)),
        h('td', { class: 'num', test: 'preview-current', dataset: { label: 'Current' } }, l.message_current_offset < 0 ? '—' : fmtNum(l.message_current_offset)),
        h('td', { class: 'num', test: 'preview-new', dataset: { label: 'New' } }, fmtNum(l.message_offset)),
        h('td', { class: 'num', dataset: { label: 'Lag after' } }, fmtNum(Math.max(0, l.message_log_end_offset - l.message_offset)))))))));
}

export const routes = [
  { path: '/instances/:id/groups', title: 'Consumer groups', render: listPage },
  { path: '/instances/:id/groups/:group', title: 'Consumer group', render: groupPage },
];
