// Diagnosis reports of an instance (5.11): a report observes one consumer group on one topic for a
// window and says what holds its consumption back. The list (5.11.3, server paging; delete 5.11.4),
// a new report (5.11.2, with the pre-check 5.11.1 on demand) and a report's details (5.11.5): per
// dimension its items, abnormal ones with their causes, advice and the partitions and brokers
// concerned.

import { api, P } from '../api.js';
import {
  h, mount, page, dataTable, modal, confirmAction, field, button, errorBox, toast, poll, instanceNav,
  fmtNum, fmtTime, allowed, selectColumn,
} from '../ui.js';

const MODIFY = 'dms:instance:modify';
// A Kafka Manager sign-in reads reports but may not create or delete them (CMAK had no diagnosis):
// the write buttons are `lifecycle` ones, hidden for it (ui.js button).
const enc = encodeURIComponent;

// CONCLUSIONS are the texts of the conclusion ids 5.11.5 returns (the service's catalog,
// internal/dms/diagnosis_conclusions.go; a Go test keeps this copy equal to it). {NAME} is the
// parameter NAME. An id not here is shown with its parameters as they came.
const CONCLUSIONS = {
  101: "The consumer group {GROUP} has no active consumer: nothing consumes {TOPIC}.",
  102: "None of the {MEMBERS} consumers of the group {GROUP} is assigned a partition of {TOPIC}: the topic is not subscribed.",
  103: "{COUNT} partitions of {TOPIC} are assigned to no consumer of the group.",
  104: "The group has {CONSUMERS} consumers of {TOPIC} for {PARTITIONS} partitions: some consumers serve several partitions with backlog.",
  105: "The group rebalanced during the {WINDOW} s window (last state {STATE}, {CHANGES} changes of state or membership): consumption pauses at each rebalance.",
  106: "Consumption is slower than production: {PRODUCE_RATE} records/s produced and {CONSUME_RATE} records/s consumed over {WINDOW} s; the backlog grew by {GROWTH} records.",
  107: "The committed offsets did not move in {WINDOW} s although the partitions have backlog: the consumers are stuck or do not commit.",
  108: "The backlog is concentrated: {SHARE}% of the {LAG} records of backlog are on {PARTITIONS} of {TOTAL} partitions.",
  201: "{OFFLINE} of the instance's {EXPECTED} brokers are offline or do not answer.",
  202: "{COUNT} partitions of {TOPIC} have no leader: they can be neither produced to nor consumed.",
  203: "{COUNT} partitions of {TOPIC} have replicas out of sync.",
  204: "{COUNT} partitions of {TOPIC} are led by a broker other than their preferred leader: leadership is unbalanced.",
  501: "Start the consumers of the group, or delete the group if it is no longer used.",
  502: "Check the consumers' subscription (topic name or pattern) and their logs.",
  503: "Add consumers to the group, up to the partition count, or make each consumer faster (max.poll.records, processing time).",
  504: "Check session.timeout.ms, heartbeats and max.poll.interval.ms against the processing time; use static membership (group.instance.id) for rolling restarts.",
  505: "Scale consumption out (more consumers, and partitions if all are busy) or make processing faster.",
  506: "Check the consumers for blocked threads and that they commit offsets (enable.auto.commit or explicit commits).",
  507: "Check the producers' keys and partitioner: a few hot keys send most records to a few partitions.",
  601: "Restart the instance or check the logs of the brokers concerned.",
  602: "Check the brokers hosting the partitions' replicas and restart them.",
  603: "Check the disk and network of the brokers out of sync; they rejoin the ISR once caught up.",
  604: "Run a preferred leader election, or wait for auto.leader.rebalance.enable to do it.",
};

/** conclusionText renders one conclusion (id and params) as text. */
export function conclusionText(c) {
  const params = c.params || {};
  const t = CONCLUSIONS[c.id];
  if (!t) {
    const ps = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join(' ');
    return `Conclusion ${c.id}${ps ? ` (${ps})` : ''}`;
  }
  return t.replace(/\{([A-Z_]+)\}/g, (m, k) => (Object.prototype.hasOwnProperty.call(params, k) ? String(params[k]) : m));
}

// resultBadge shows a report's status or an item's result: abnormal and failed in red, normal and
// finished in green, diagnosing as busy.
function resultBadge(v) {
  const s = String(v || '');
  const kind = { abnormal: 'bad', failed: 'bad', normal: 'ok', passed: 'ok', finished: 'ok', diagnosing: 'busy' }[s] || 'neutral';
  return h('span', { class: ['badge', kind], test: 'status' }, s || '—');
}

function basePath(id) {
  return `/v2/${P()}/kafka/instances/${enc(id)}`;
}

function reportHref(id, rid) {
  return `#/instances/${enc(id)}/diagnosis/${enc(rid)}`;
}

// ---- the list ---------------------------------------------------------------------------------------

async function listPage({ id }) {
  const selected = new Set();
  const columns = [];
  if (allowed(MODIFY, true)) {
    columns.push(selectColumn(selected, (r) => r.report_id, { test: 'report-select', label: (r) => `Select report ${r.report_id}` }));
  }
  columns.push(
    { key: 'report_id', label: 'Report', render: (r) => h('a', { href: reportHref(id, r.report_id), test: 'report-link', class: 'mono' }, r.report_id) },
    { key: 'status', label: 'Status', render: (r) => resultBadge(r.status) },
    { key: 'group_name', label: 'Group' },
    { key: 'topic_name', label: 'Topic' },
    { key: 'accumulated_partitions', label: 'Partitions with backlog', class: 'num', render: (r) => fmtNum(r.accumulated_partitions) },
    { key: 'begin_time', label: 'Began', render: (r) => fmtTime(r.begin_time) },
    { key: 'end_time', label: 'Ended', render: (r) => fmtTime(r.end_time) || '—' },
  );
  const table = dataTable({
    test: 'reports',
    columns,
    empty: 'No diagnosis reports yet.',
    rowTest: (r) => `report-row-${r.report_id}`,
    load: async ({ offset, limit }) => {
      const res = await api.get(`${basePath(id)}/message-diagnosis-tasks`, { offset, limit });
      return { rows: res.report_list || [], total: res.total_num };
    },
  });
  table.el.querySelector('table').classList.add('cards');
  poll(() => table.reload());

  const actions = [
    button('New diagnosis', () => createDialog(id, () => table.reload()), { kind: 'primary', test: 'diagnosis-create', action: MODIFY, lifecycle: true }),
    button('Delete selected', () => {
      if (selected.size === 0) {
        toast('Select reports to delete first.', 'error');
        return;
      }
      const ids = [...selected];
      confirmAction({
        title: `Delete ${ids.length} reports`,
        text: `Delete ${ids.length} diagnosis reports? A report still diagnosing stops.`,
        confirmLabel: 'Delete',
        run: async () => {
          const res = await api.del(`${basePath(id)}/message-diagnosis-tasks`, { report_id_list: ids });
          const failed = (res.results || []).filter((r) => !r.result).map((r) => r.id);
          if (failed.length) toast(`Not deleted: ${failed.join(', ')}`, 'error');
          else toast(`${ids.length} reports deleted`);
          selected.clear();
          table.reload();
        },
      });
    }, { kind: 'danger', test: 'report-delete-selected', action: MODIFY, lifecycle: true }),
  ];
  return page('Diagnosis', actions, instanceNav(id, 'diagnosis'),
    h('p', { class: 'muted' }, 'A diagnosis watches one consumer group on one topic for a while and reports what holds its consumption back.'),
    table.el);
}

function createDialog(id, done) {
  const groups = h('datalist', { id: 'diag-groups' });
  const topics = h('datalist', { id: 'diag-topics' });
  api.get(`/v2/${P()}/instances/${enc(id)}/groups`, { limit: 50 })
    .then((r) => mount(groups, (r.groups || []).map((g) => h('option', { value: g.group_id })))).catch(() => {});
  const group = h('input', { name: 'group_name', test: 'diag-group', required: true, attrs: { list: 'diag-groups', autocomplete: 'off' } });
  const topic = h('input', { name: 'topic_name', test: 'diag-topic', required: true, attrs: { list: 'diag-topics', autocomplete: 'off' } });
  // The topics offered are the chosen group's (5.6.11).
  group.addEventListener('change', () => {
    if (!group.value.trim()) return;
    api.get(`/v2/kafka/${P()}/instances/${enc(id)}/groups/${enc(group.value.trim())}/topics`, { limit: 50, sort_key: 'topic', sort_dir: 'asc' })
      .then((r) => mount(topics, (r.topics || []).map((t) => h('option', { value: t.topic })))).catch(() => mount(topics));
  });
  const checks = h('div', { test: 'diag-precheck-host', attrs: { 'aria-live': 'polite' } });
  const args = () => ({ group: group.value.trim(), topic: topic.value.trim() });
  modal({
    title: 'New diagnosis',
    test: 'diagnosis-dialog',
    body: [
      h('div', { class: 'form-row' }, field('Consumer group', group), field('Topic', topic)),
      groups, topics, checks,
    ],
    actions: [
      {
        label: 'Pre-check', test: 'diag-precheck',
        onClick: async () => {
          mount(checks);
          const res = await api.get(`${basePath(id)}/diagnosis-check`, args());
          mount(checks, h('div', { class: 'scroll-x' }, h('table', { class: 'data', test: 'diag-precheck-table' },
            h('thead', null, h('tr', null, h('th', null, 'Check'), h('th', null, 'Result'), h('th', null, 'Reason'))),
            h('tbody', null, (Array.isArray(res) ? res : []).map((c) => h('tr', null,
              h('td', null, c.name), h('td', null, resultBadge(c.success ? 'passed' : 'failed')), h('td', null, c.reason || '')))))));
          return false;
        },
      },
      {
        label: 'Start diagnosis', kind: 'primary', test: 'diag-create-ok',
        onClick: async () => {
          const a = args();
          const res = await api.post(`${basePath(id)}/message-diagnosis-tasks`, { group_name: a.group, topic_name: a.topic });
          toast(`Diagnosis ${res.report_id} started`);
          done();
          location.hash = reportHref(id, res.report_id);
        },
      },
    ],
  });
  setTimeout(() => group.focus());
}

// ---- one report -------------------------------------------------------------------------------------

function numbers(list) {
  return list && list.length ? list.join(', ') : '';
}

function itemRow(it) {
  const details = [];
  const causes = it.cause_ids || [];
  const advice = it.advice_ids || [];
  if (causes.length) {
    details.push(h('div', { test: 'item-causes' }, h('strong', null, 'Causes'),
      h('ul', null, causes.map((c) => h('li', { test: 'item-cause', dataset: { id: c.id } }, conclusionText(c))))));
  }
  if (advice.length) {
    details.push(h('div', { test: 'item-advice' }, h('strong', null, 'Advice'),
      h('ul', null, advice.map((c) => h('li', { test: 'item-advice-line', dataset: { id: c.id } }, conclusionText(c))))));
  }
  return h('tr', { test: `item-${it.name}`, class: it.result === 'abnormal' ? 'changed' : undefined },
    h('td', { dataset: { label: 'Item' } }, it.name),
    h('td', { dataset: { label: 'Result' } }, h('span', { test: 'item-result' }, resultBadge(it.result))),
    h('td', { dataset: { label: 'Details' } }, details.length ? details : '—'),
    h('td', { class: 'num', dataset: { label: 'Partitions' } }, numbers(it.partitions)),
    h('td', { class: 'num', dataset: { label: 'Failed partitions' } }, numbers(it.failed_partitions)),
    h('td', { class: 'num', dataset: { label: 'Brokers' } }, numbers(it.broker_ids)));
}

async function reportPage({ id, report }) {
  const host = h('div', { test: 'report' });
  const errHost = h('div');
  let done = false;
  async function load() {
    const r = await api.get(`${basePath(id)}/message-diagnosis/${enc(report)}`);
    const dims = r.diagnosis_dimension_list || [];
    done = dims.length > 0;
    mount(host,
      h('div', { class: 'panel' },
        h('h2', null, 'Summary'),
        h('dl', { class: 'kv', test: 'report-counts' },
          h('dt', null, 'Abnormal items'), h('dd', { test: 'report-abnormal' }, fmtNum(r.abnormal_item_num)),
          h('dt', null, 'Failed items'), h('dd', { test: 'report-failed' }, fmtNum(r.failed_item_num)),
          h('dt', null, 'Normal items'), h('dd', { test: 'report-normal' }, fmtNum(r.normal_item_num))),
        done ? null : h('p', { class: 'muted', test: 'report-pending' }, 'No items yet: the diagnosis is still observing the group. This page refreshes by itself.')),
      dims.map((d) => h('div', { class: 'panel', test: `dimension-${d.name}` },
        h('h2', null, `${d.name} (${fmtNum(d.abnormal_num)} abnormal, ${fmtNum(d.failed_num)} failed)`),
        h('div', { class: 'scroll-x' },
          h('table', { class: 'data cards', test: 'report-items' },
            h('thead', null, h('tr', null, ['Item', 'Result', 'Causes and advice', 'Partitions', 'Failed partitions', 'Brokers']
              .map((l) => h('th', { scope: 'col' }, l)))),
            h('tbody', null, (d.diagnosis_item_list || []).map(itemRow)))))));
  }
  await load();
  // A report still diagnosing gains its items when the window ends; a finished one no longer changes.
  // Every 2 s: the report comes soon after the window, and the page stops asking once it has it.
  poll(async () => {
    if (done) return;
    try {
      await load();
      mount(errHost);
    } catch (e) {
      mount(errHost, errorBox(e));
    }
  }, 2000);
  const del = button('Delete report', () => confirmAction({
    title: 'Delete report',
    text: `Delete the diagnosis report ${report}?`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(`${basePath(id)}/message-diagnosis-tasks`, { report_id_list: [report] });
      toast('Report deleted');
      location.hash = `#/instances/${enc(id)}/diagnosis`;
    },
  }), { kind: 'danger', test: 'report-delete', action: MODIFY, lifecycle: true });
  return page(`Diagnosis report ${report}`, [del], instanceNav(id, 'diagnosis'),
    h('p', null, h('a', { href: `#/instances/${enc(id)}/diagnosis`, test: 'back-to-reports' }, '‹ All reports')),
    errHost, host);
}

export const routes = [
  { path: '/instances/:id/diagnosis', title: 'Diagnosis', render: listPage },
  { path: '/instances/:id/diagnosis/:report', title: 'Diagnosis report', render: reportPage },
];
