// Topics of an instance: the list (5.5.3, paged and filtered by name on the server) with each
// topic's size and message count (5.5.8), create (5.5.2), edit (5.5.4), add partitions (7.2.2.1) and
// delete (5.5.5); and one topic's page: its partitions (5.5.8 for leaders, replicas and ISR; 5.5.6
// for the offsets as int64), its configs with the values that differ from the default highlighted
// (5.5.3), and its disk use per broker (5.2.10).

import { api, P } from '../api.js';
import {
  h, mount, page, dataTable, localPage, modal, confirmAction, field, select, button, kv,
  errorBox, toast, poll, instanceNav, fmtBytes, fmtNum, fmtTime, can, mountChanged, selectColumn,
} from '../ui.js';

const MODIFY = 'dms:instance:modify';

const enc = encodeURIComponent;
const base = (id) => `/v2/${P()}/instances/${enc(id)}`;
const topicHref = (id, t) => `#/instances/${enc(id)}/topics/${enc(t)}`;
const messagesHref = (id, t) => `#/instances/${enc(id)}/messages?topic=${enc(t)}`;

// The topic configs 5.5.2 and 5.5.4 take in topic_other_configs (the ones 5.5.3 lists).
const TIMESTAMP_TYPES = ['', 'CreateTime', 'LogAppendTime'];

function retention(hours) {
  if (hours === undefined || hours === null) return '';
  if (Number(hours) < 0) return 'unlimited';
  return `${fmtNum(hours)} h`;
}

// diskSize reads 5.2.10's sizes, written as du -h does ("8.0K", "53M"; bytes without a unit).
function diskSize(s) {
  const v = String(s ?? '');
  return /^\d+$/.test(v) ? `${v} B` : v.replace(/([KMGTPE])$/, ' $1iB');
}

function otherConfig(topic, name) {
  return (topic.topic_other_configs || []).find((c) => c.name === name);
}

// detailTotals sums a topic's 5.5.8 detail: messages (hw - lso of each partition) and bytes (the
// leader replica of each partition, and every replica).
function detailTotals(d) {
  let messages = 0;
  let size = 0;
  let disk = 0;
  for (const p of d.partitions || []) {
    messages += Math.max(0, Number(p.hw) - Number(p.lso));
    for (const r of p.replicas || []) {
      disk += Number(r.size) || 0;
      if (r.leader) size += Number(r.size) || 0;
    }
  }
  return { messages, size, disk };
}

async function loadDetail(id, name) {
  return api.get(`${base(id)}/management/topics/${enc(name)}`);
}

// ---- forms ----------------------------------------------------------------------------------------

function num(input) {
  const v = input.value.trim();
  return v === '' ? undefined : Number(v);
}

function intInput(props) {
  return h('input', { type: 'number', inputmode: 'numeric', step: '1', ...props });
}

/** otherConfigFields are the inputs of topic_other_configs, prefilled from a 5.5.3 topic. */
function otherConfigFields(topic) {
  const tsType = select(TIMESTAMP_TYPES.map((v) => [v, v || '(default)']), { test: 'topic-ts-type', value: (topic && otherConfig(topic, 'message.timestamp.type')?.value) || '' });
  const maxBytes = intInput({ test: 'topic-max-bytes', min: 0, max: 10485760, value: (topic && otherConfig(topic, 'max.message.bytes')?.value) || '' });
  const minIsr = intInput({ test: 'topic-min-isr', min: 1, max: 3, value: (topic && otherConfig(topic, 'min.insync.replicas')?.value) || '' });
  const fields = [
    field('message.timestamp.type', tsType),
    field('max.message.bytes', maxBytes, '0 to 10485760'),
    field('min.insync.replicas', minIsr, '1 to 3'),
  ];
  const values = () => {
    const out = [];
    if (tsType.value) out.push({ name: 'message.timestamp.type', value: tsType.value });
    if (maxBytes.value.trim()) out.push({ name: 'max.message.bytes', value: maxBytes.value.trim() });
    if (minIsr.value.trim()) out.push({ name: 'min.insync.replicas', value: minIsr.value.trim() });
    return out;
  };
  return { fields, values };
}

function createTopic(id, onDone) {
  const name = h('input', { test: 'topic-name', required: true, autocomplete: 'off', maxlength: 200 });
  const partitions = intInput({ test: 'topic-partitions', min: 1, max: 200, value: 3 });
  const replication = intInput({ test: 'topic-replication', min: 1, max: 3, value: 3 });
  const retentionH = intInput({ test: 'topic-retention', min: 1, max: 720, value: 72 });
  const syncRepl = h('input', { type: 'checkbox', test: 'topic-sync-replication', id: 'tc-sync-repl' });
  const syncFlush = h('input', { type: 'checkbox', test: 'topic-sync-flush', id: 'tc-sync-flush' });
  const desc = h('input', { test: 'topic-desc', maxlength: 200 });
  const other = otherConfigFields(null);
  modal({
    title: 'Create topic',
    test: 'topic-create-dialog',
    body: h('form', { class: 'grid2', on: { submit: (e) => e.preventDefault() } },
      field('Name', name, '3-200 characters: letters, digits, - _ . ; starts with a letter'),
      field('Partitions', partitions, '1 to 200'),
      field('Replicas', replication, '1 to 3'),
      field('Retention (hours)', retentionH, '1 to 720'),
      h('div', { class: 'field inline' }, syncRepl, h('label', { for: 'tc-sync-repl' }, 'Synchronous replication (acks=-1 producers)')),
      h('div', { class: 'field inline' }, syncFlush, h('label', { for: 'tc-sync-flush' }, 'Synchronous flushing')),
      field('Description', desc),
      other.fields),
    actions: [{
      label: 'Create', kind: 'primary', test: 'topic-create-submit',
      onClick: async () => {
        const body = {
          id: name.value.trim(),
          partition: num(partitions),
          replication: num(replication),
          retention_time: num(retentionH),
          sync_replication: syncRepl.checked,
          sync_message_flush: syncFlush.checked,
          topic_other_configs: other.values(),
        };
        if (desc.value.trim()) body.topic_desc = desc.value.trim();
        const res = await api.post(`${base(id)}/topics`, body);
        toast(`Topic ${res.name} created`);
        onDone();
      },
    }],
  });
  setTimeout(() => name.focus());
}

function editTopic(id, topic, onDone) {
  const retentionH = intInput({ test: 'topic-retention', min: 1, max: 720, value: topic.retention_time > 0 ? topic.retention_time : '' });
  const syncRepl = h('input', { type: 'checkbox', test: 'topic-sync-replication', checked: !!topic.sync_replication, id: 'te-sync-repl' });
  const syncFlush = h('input', { type: 'checkbox', test: 'topic-sync-flush', checked: !!topic.sync_message_flush, id: 'te-sync-flush' });
  const desc = h('input', { test: 'topic-desc', maxlength: 200, value: topic.topic_desc || '' });
  const other = otherConfigFields(topic);
  modal({
    title: `Edit topic ${topic.name}`,
    test: 'topic-edit-dialog',
    body: h('form', { class: 'grid2', on: { submit: (e) => e.preventDefault() } },
      field('Retention (hours)', retentionH, '1 to 720'),
      h('div', { class: 'field inline' }, syncRepl, h('label', { for: 'te-sync-repl' }, 'Synchronous replication')),
      h('div', { class: 'field inline' }, syncFlush, h('label', { for: 'te-sync-flush' }, 'Synchronous flushing')),
      field('Description', desc),
      other.fields),
    actions: [{
      label: 'Save', kind: 'primary', test: 'topic-edit-submit',
      onClick: async () => {
        // Only what changed is sent: 5.5.4 leaves the fields it is not given as they are.
        const t = { id: topic.name };
        const r = num(retentionH);
        if (r !== undefined && r !== topic.retention_time) t.retention_time = r;
        if (syncRepl.checked !== !!topic.sync_replication) t.sync_replication = syncRepl.checked;
        if (syncFlush.checked !== !!topic.sync_message_flush) t.sync_message_flush = syncFlush.checked;
        if (desc.value.trim() !== (topic.topic_desc || '')) t.topic_desc = desc.value.trim();
        const changed = other.values().filter((c) => (otherConfig(topic, c.name)?.value ?? '') !== c.value);
        if (changed.length) t.topic_other_configs = changed;
        if (Object.keys(t).length === 1) return undefined; // nothing to change
        await api.put(`${base(id)}/topics`, { topics: [t] });
        toast(`Topic ${topic.name} saved`);
        onDone();
        return undefined;
      },
    }],
  });
}

function addPartitions(id, name, current, onDone) {
  const total = intInput({ test: 'topic-new-partitions', min: current + 1, max: 100, value: current + 1 });
  modal({
    title: `Add partitions to ${name}`,
    test: 'topic-partitions-dialog',
    body: [
      h('p', null, `The topic has ${current} partitions. Partitions can be added, never removed; keyed records may go to other partitions afterwards.`),
      field('New total of partitions', total, `${current + 1} to 100`),
    ],
    actions: [{
      label: 'Add', kind: 'primary', test: 'topic-partitions-submit',
      onClick: async () => {
        await api.post(`${base(id)}/management/topics/${enc(name)}/partitions-reassignment`, { partition: num(total) });
        toast(`${name} has ${num(total)} partitions`);
        onDone();
      },
    }],
  });
}

async function deleteTopics(id, names, onDone) {
  const ok = await confirmAction({
    title: names.length === 1 ? `Delete topic ${names[0]}?` : `Delete ${names.length} topics?`,
    text: `${names.join(', ')}: the topics and every message in them are deleted. This cannot be undone.`,
    confirmLabel: 'Delete',
    run: async () => {
      const res = await api.post(`${base(id)}/topics/delete`, { topics: names });
      const failed = (res.topics || []).filter((t) => !t.success).map((t) => t.id);
      if (failed.length) throw new Error(`Not deleted: ${failed.join(', ')}`);
    },
  });
  if (ok) {
    toast(names.length === 1 ? `Topic ${names[0]} deleted` : `${names.length} topics deleted`);
    onDone();
  }
}

// ---- the list -------------------------------------------------------------------------------------

async function topicsPage({ id }) {
  const selected = new Set();
  const filter = h('input', { type: 'search', test: 'topic-filter', placeholder: 'Part of a name', autocomplete: 'off', maxlength: 200 });
  const summary = h('p', { class: 'muted', test: 'topic-summary' });
  const writable = can(MODIFY);

  const deleteSelected = button('Delete selected', () => {
    if (selected.size === 0) {
      toast('Select topics to delete first', 'error');
      return;
    }
    deleteTopics(id, [...selected], () => {
      selected.clear();
      table.reload();
    });
  }, { kind: 'danger', test: 'topic-delete-selected', action: MODIFY });

  const columns = [];
  if (writable) {
    columns.push(selectColumn(selected, (t) => t.name, { test: 'topic-select' }));
  }
  columns.push(
    { key: 'name', label: 'Name', sort: 'name', render: (t) => h('a', { href: topicHref(id, t.name), test: 'topic-link' }, t.name) },
    { key: 'partition', label: 'Partitions', class: 'num', sort: 'partitions', render: (t) => fmtNum(t.partition) },
    { key: 'replication', label: 'Replicas', class: 'num', render: (t) => fmtNum(t.replication) },
    { key: 'messages', label: 'Messages', class: 'num', render: (t) => (t._detail ? h('span', { test: 'topic-messages' }, fmtNum(t._detail.messages)) : '—') },
    { key: 'size', label: 'Size', class: 'num', render: (t) => (t._detail ? h('span', { test: 'topic-size', title: `${fmtBytes(t._detail.disk)} on disk with every replica` }, fmtBytes(t._detail.size)) : '—') },
    { key: 'retention_time', label: 'Retention', render: (t) => retention(t.retention_time) },
    { key: 'sync_replication', label: 'Sync replication', render: (t) => (t.sync_replication ? 'yes' : 'no') },
    { key: 'created_at', label: 'Created', render: (t) => fmtTime(t.created_at) },
    {
      key: 'actions', label: 'Actions',
      render: (t) => h('div', { class: 'row-actions' },
        h('a', { class: 'btn small', href: messagesHref(id, t.name), test: 'topic-messages-link' }, 'Messages'),
        button('Edit', () => editTopic(id, t, () => table.reload()), { kind: 'small', test: 'topic-edit', action: MODIFY }),
        button('Delete', () => deleteTopics(id, [t.name], () => {
          selected.delete(t.name);
          table.reload();
        }), { kind: 'small danger', test: 'topic-delete', action: MODIFY })),
    },
  );

  const table = dataTable({
    columns,
    test: 'topics',
    pageSize: 10,
    empty: 'No topics.',
    rowTest: (t) => `topic-row-${t.name}`,
    // Sorted on the server (sort_key/sort_dir, OpenDMS extensions of 5.5.3), before paging.
    load: async ({ offset, limit, sort, order }) => {
      const res = await api.get(`${base(id)}/topics`, { offset, limit, name: filter.value.trim(), sort_key: sort, sort_dir: sort ? order : '' });
      const rows = res.topics || [];
      // Size and message count are not in 5.5.3: each topic of the page asks its detail (5.5.8),
      // at most a page of calls; a topic deleted meanwhile shows dashes.
      await Promise.all(rows.map(async (t) => {
        try {
          t._detail = detailTotals(await loadDetail(id, t.name));
        } catch {
          t._detail = null;
        }
      }));
      const parts = [`${fmtNum(res.total)} topic${res.total === 1 ? '' : 's'}`];
      if (res.max_partitions) parts.push(`${fmtNum(res.max_partitions - res.remain_partitions)} of ${fmtNum(res.max_partitions)} partitions used`);
      summary.textContent = parts.join(' · ');
      return { rows, total: res.total };
    },
  });
  table.el.querySelector('table').classList.add('cards');

  const search = h('form', { class: 'form-row filter', test: 'topic-filter-form', on: { submit: (e) => { e.preventDefault(); table.reload(false); } } },
    field('Filter by name', filter),
    h('button', { type: 'submit', class: 'btn', test: 'topic-filter-submit' }, 'Filter'));

  poll(() => table.reload());
  return page('Topics',
    [button('Create topic', () => createTopic(id, () => table.reload()), { kind: 'primary', test: 'topic-create', action: MODIFY }), deleteSelected],
    instanceNav(id, 'topics'),
    search,
    summary,
    table.el);
}

// ---- one topic ------------------------------------------------------------------------------------

// findTopic returns the 5.5.3 entry of a topic (its settings and configs): the name filter narrows
// the list to the names containing it, and the exact one is picked.
async function findTopic(id, name) {
  for (let offset = 0; ; offset += 200) {
    const res = await api.get(`${base(id)}/topics`, { offset, limit: 200, name });
    const t = (res.topics || []).find((x) => x.name === name);
    if (t) return t;
    if (offset + 200 >= res.total) return null;
  }
}

function configTable(topic) {
  const rows = [
    ['retention_time (hours)', retention(topic.retention_time), null],
    ['sync_replication', String(!!topic.sync_replication), null],
    ['sync_message_flush', String(!!topic.sync_message_flush), null],
  ];
  for (const c of topic.topic_other_configs || []) rows.push([c.name, c.value, c]);
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data cards', test: 'topic-configs' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Config'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Default'), h('th', { scope: 'col' }, 'Valid values'))),
    h('tbody', null, rows.map(([name, value, c]) => {
      // A value that differs from the cluster's default is highlighted, as the anchors do.
      const changed = c && c.default_value !== undefined && String(c.value) !== String(c.default_value);
      return h('tr', { class: changed ? 'changed' : '', test: `config-${name}`, dataset: { changed: changed ? 'true' : 'false' } },
        h('td', { dataset: { label: 'Config' } }, name),
        h('td', { dataset: { label: 'Value' } }, value),
        h('td', { dataset: { label: 'Default' } }, c ? c.default_value : ''),
        h('td', { dataset: { label: 'Valid values' } }, c ? c.valid_values : ''));
    }))));
}

async function topicPage({ id, topic: name }) {
  const head = h('div', { test: 'topic-overview' });
  const configs = h('div', { test: 'topic-configs-host' });
  const disk = h('div', { test: 'topic-disk-host' });
  const groups = h('div');
  const errHost = h('div');
  let current = null;
  let partitionCount = 0;

  let configSeq = 0; // the poll and an edit both read the settings: the newest read wins
  async function loadConfigs() {
    const my = ++configSeq;
    const found = await findTopic(id, name);
    if (my !== configSeq) return;
    current = found;
    // Panels are built again only when their data changed: the 5 s refresh keeps the keyboard's place.
    if (!current) {
      mountChanged(configs, 'missing', () => errorBox({ message: `The topic ${name} does not exist.` }));
      return;
    }
    mountChanged(configs, current, () => [h('h2', null, 'Configs'), h('p', { class: 'muted' }, 'Values that differ from the default are highlighted.'), configTable(current)]);
  }

  async function loadDisk() {
    // 5.2.10 lists every broker's partitions; this topic's are picked out.
    const res = await api.get(`${base(id)}/topics/diskusage`);
    mountChanged(disk, res, () => diskTable(res));
  }

  function diskTable(res) {
    const rows = [];
    for (const b of res.broker_list || []) {
      const mine = (b.topic_list || []).filter((t) => t.topic_name === name);
      rows.push(h('tr', { test: `disk-${b.broker_name}` },
        h('td', { dataset: { label: 'Broker' } }, b.broker_name),
        h('td', { dataset: { label: 'Partitions here' } }, mine.map((t) => `${t.topic_partition} (${diskSize(t.size)})`).join(', ') || '—'),
        h('td', { dataset: { label: 'Broker disk used' } }, `${diskSize(b.data_disk_use)} of ${diskSize(b.data_disk_size)} (${b.data_disk_use_percentage}%)`)));
    }
    return [h('h2', null, 'Disk use by broker'),
      h('div', { class: 'scroll-x' }, h('table', { class: 'data cards', test: 'topic-disk' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Broker'), h('th', { scope: 'col' }, 'Partitions here (size)'), h('th', { scope: 'col' }, 'Broker disk used'))),
        h('tbody', null, rows)))];
  }

  // The settings first (the overview shows the replication factor and description from them);
  // the partition table loads itself when made.
  const first = await Promise.allSettled([loadConfigs(), loadDisk()]);
  const firstErr = first.find((r) => r.status === 'rejected');
  if (firstErr) mount(errHost, errorBox(firstErr.reason));

  const partTable = dataTable({
    test: 'partitions',
    pageSize: 50,
    empty: 'No partitions.',
    defaultSort: 'partition',
    rowTest: (p) => `partition-row-${p.partition}`,
    columns: [
      { key: 'partition', label: 'Partition', class: 'num', sort: 'partition' },
      { key: 'leader', label: 'Leader', class: 'num', sort: 'leader' },
      { key: 'replicas', label: 'Replicas', render: (p) => p.replicas.join(', ') },
      { key: 'isr', label: 'In sync', render: (p) => h('span', { class: p.isr.length < p.replicas.length ? 'under-replicated' : '' }, p.isr.join(', ')) },
      { key: 'start', label: 'Beginning offset', class: 'num', sort: 'start', render: (p) => fmtNum(p.start) },
      { key: 'end', label: 'End offset', class: 'num', sort: 'end', render: (p) => fmtNum(p.end) },
      { key: 'messages', label: 'Messages', class: 'num', sort: 'messages', render: (p) => fmtNum(p.messages) },
      { key: 'size', label: 'Size', class: 'num', sort: 'size', render: (p) => fmtBytes(p.size) },
      { key: 'updated', label: 'Last write', sort: 'updated', render: (p) => fmtTime(p.updated) },
      { key: 'browse', label: 'Browse', render: (p) => h('a', { class: 'btn small', href: `${messagesHref(id, name)}&partition=${p.partition}`, test: 'partition-messages-link' }, 'Browse') },
    ],
    load: async (q) => {
      // Leaders, replicas, ISR and replica sizes from 5.5.8; offsets from 5.5.6, whose offsets are
      // int64 (5.5.8's are int32 in the SDK's model and clamped).
      const [d, po] = await Promise.all([
        loadDetail(id, name),
        api.get(`/v2/${P()}/kafka/instances/${enc(id)}/topics/${enc(name)}/partitions`),
      ]);
      const offsets = new Map((po.partitions || []).map((p) => [p.partition, p]));
      const rows = (d.partitions || []).map((p) => {
        const o = offsets.get(p.partition) || {};
        const leader = (p.replicas || []).find((r) => r.leader);
        return {
          partition: p.partition,
          leader: p.leader,
          replicas: (p.replicas || []).map((r) => r.broker),
          isr: (p.replicas || []).filter((r) => r.in_sync).map((r) => r.broker),
          start: o.start_offset ?? p.lso,
          end: o.last_offset ?? p.hw,
          messages: o.message_count ?? Math.max(0, p.hw - p.lso),
          size: leader ? leader.size : 0,
          updated: o.last_update_time || p.last_update_timestamp,
        };
      });
      partitionCount = rows.length;
      const totals = detailTotals(d);
      const subscribed = d.group_subscribed || [];
      mountChanged(groups, subscribed, () => [h('h2', null, 'Consumer groups'),
        subscribed.length
          ? h('ul', { class: 'plain', test: 'topic-groups' }, subscribed.map((g) => h('li', null, h('a', { href: `#/instances/${enc(id)}/groups/${enc(g)}` }, g))))
          : h('p', { class: 'muted' }, 'No consumer group has offsets on this topic.')]);
      mountChanged(head, [rows, totals, current], () => kv([
        ['Partitions', fmtNum(rows.length)],
        ['Replicas', current ? fmtNum(current.replication) : ''],
        ['Messages', h('span', { test: 'topic-total-messages' }, fmtNum(rows.reduce((n, r) => n + Number(r.messages || 0), 0)))],
        ['Size', `${fmtBytes(totals.size)} (${fmtBytes(totals.disk)} with every replica)`],
        ['Under-replicated partitions', fmtNum(rows.filter((r) => r.isr.length < r.replicas.length).length)],
        ['Description', current ? current.topic_desc : ''],
        ['Created', current ? fmtTime(current.created_at) : ''],
      ], 'topic-kv'));
      return localPage(rows, q);
    },
  });
  partTable.el.querySelector('table').classList.add('cards');

  async function refresh() {
    const results = await Promise.allSettled([loadConfigs(), loadDisk(), partTable.reload()]);
    const failed = results.find((r) => r.status === 'rejected');
    mount(errHost, failed ? errorBox(failed.reason) : null);
  }
  poll(refresh);

  const actions = [
    h('a', { class: 'btn', href: messagesHref(id, name), test: 'topic-browse' }, 'Browse messages'),
    button('Edit', () => current && editTopic(id, current, refresh), { test: 'topic-edit', action: MODIFY }),
    button('Add partitions', () => addPartitions(id, name, partitionCount, refresh), { test: 'topic-add-partitions', action: MODIFY }),
    button('Delete', () => deleteTopics(id, [name], () => { location.hash = `#/instances/${enc(id)}/topics`; }), { kind: 'danger', test: 'topic-delete', action: MODIFY }),
  ];
  return page(`Topic ${name}`, actions,
    instanceNav(id, 'topics'),
    h('p', null, h('a', { href: `#/instances/${enc(id)}/topics` }, '‹ All topics')),
    errHost,
    h('div', { class: 'panel' }, head),
    h('h2', null, 'Partitions'),
    partTable.el,
    configs,
    disk,
    groups);
}

export const routes = [
  { path: '/instances/:id/topics', title: 'Topics', render: topicsPage },
  { path: '/instances/:id/topics/:topic', title: 'Topic', render: topicPage },
];
