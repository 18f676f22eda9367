// The instance list (#/instances): 5.1.2 paged, filtered and sorted on the server (sort_key/sort_dir
// are OpenDMS's extension of 5.1.2), with create (5.1.1, its choices from the catalog APIs 5.12.1-3),
// restart (5.1.6) and delete (5.1.4). Rows refresh every 5 s, every 2 s while one is busy.

import { api, P } from '../api.js';
import {
  h, mount, page, dataTable, modal, confirmAction, field, select, button, badge, toast, poll,
  fmtTime, fmtNum,
} from '../ui.js';

// Statuses that change by themselves: the list refreshes faster while a row has one.
export const BUSY = /^(CREATING|RESTARTING|DELETING|EXTENDING|UPGRADING|FREEZING|UNFREEZING|CONFIGURING)$/;

const STATUSES = ['', 'CREATING', 'RUNNING', 'RESTARTING', 'EXTENDING', 'UPGRADING', 'DELETING', 'ERROR', 'CREATEFAILED', 'FROZEN'];

/** restartInstance restarts one instance (5.1.6 action restart) after a confirmation. */
export function restartInstance(inst, after) {
  return confirmAction({
    title: `Restart ${inst.name}?`,
    text: 'Every broker restarts, one at a time. Clients reconnect to the others meanwhile.',
    confirmLabel: 'Restart',
    run: async () => {
      const res = await api.post(`/v2/${P()}/instances/action`, { action: 'restart', instances: [inst.instance_id] });
      const r = (res && res.results || [])[0];
      if (r && r.result !== 'success') throw new Error(`The restart of ${inst.name} was refused (${r.result}).`);
      toast(`Restarting ${inst.name}`);
      if (after) after();
    },
  });
}

/** deleteInstance deletes one instance (5.1.4) after a confirmation. */
export function deleteInstance(inst, after) {
  return confirmAction({
    title: `Delete ${inst.name}?`,
    text: `The instance ${inst.name} (${inst.instance_id}) and all its data are deleted. This cannot be undone.`,
    confirmLabel: 'Delete',
    run: async () => {
      await api.del(`/v2/${P()}/instances/${encodeURIComponent(inst.instance_id)}`);
      toast(`Deleting ${inst.name}`);
      if (after) after();
    },
  });
}

/** diskUse shows used/total storage (GB) with a bar. */
export function diskUse(inst) {
  const used = Number(inst.used_storage_space || 0);
  const total = Number(inst.total_storage_space || inst.storage_space || 0);
  const pct = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0;
  return h('span', { class: 'disk-use', test: 'disk-use' },
    h('meter', { min: 0, max: 100, value: pct, attrs: { 'aria-label': `${pct}% of the disk used` } }),
    ` ${fmtNum(used)} / ${fmtNum(total)} GB`);
}

function instanceLink(inst) {
  return h('a', { href: `#/instances/${encodeURIComponent(inst.instance_id)}`, test: 'instance-link' }, inst.name);
}

async function listPage(params, query) {
  const search = h('input', { type: 'search', name: 'name', value: query.name || '', test: 'instances-search', attrs: { placeholder: 'Name contains…' } });
  const status = select(STATUSES.map((s) => [s, s || 'Any status']), { name: 'status', value: query.status || '', test: 'instances-status' });
  let busy = false;
  const table = dataTable({
    test: 'instances',
    pageSize: 10,
    defaultSort: 'created_at',
    empty: 'No instances match.',
    rowTest: (r) => `instance-row-${r.name}`,
    columns: [
      { key: 'name', label: 'Name', sort: 'name', render: instanceLink },
      { key: 'status', label: 'Status', sort: 'status', render: (r) => statusCell(r) },
      { key: 'engine', label: 'Engine', render: (r) => `${r.engine || 'kafka'} ${r.type || ''}${r.opendms && r.opendms.engine ? ` · ${r.opendms.engine}` : ''}` },
      { key: 'version', label: 'Kafka version', render: (r) => h('span', { test: 'version' }, r.engine_version, r.opendms && r.opendms.kafka_version ? h('span', { class: 'muted' }, ` (${r.opendms.kafka_version})`) : null) },
      { key: 'brokers', label: 'Brokers up', class: 'num', render: (r) => h('span', { test: 'brokers', title: r.specification }, brokersText(r)) },
      { key: 'disk', label: 'Disk use', render: diskUse },
      { key: 'created', label: 'Created', sort: 'created_at', render: (r) => fmtTime(r.created_at) },
      { key: 'actions', label: 'Actions', render: rowActions },
    ],
    load: async ({ offset, limit, sort, order }) => {
      const res = await api.get(`/v2/${P()}/instances`, {
        offset, limit, name: search.value.trim(), status: status.value, include_failure: 'true',
        sort_key: sort, sort_dir: order,
      });
      const rows = res.instances || [];
      busy = rows.some((r) => BUSY.test(r.status));
      // Brokers up is not in 5.1.2: each running instance of the page asks its cluster (5.2.6),
      // a page of calls at most; one that fails shows the broker count alone.
      await Promise.all(rows.filter((r) => r.status === 'RUNNING').map(async (r) => {
        try {
          const c = (await api.get(`/v2/${P()}/instances/${encodeURIComponent(r.instance_id)}/management/cluster`)).cluster;
          if (c && Array.isArray(c.brokers)) r._brokersUp = c.brokers.filter((b) => b.is_health).length;
        } catch {
          // the count alone
        }
      }));
      return { rows, total: res.instance_num };
    },
  });
  table.el.querySelector('table').classList.add('cards');

  function rowActions(r) {
    return h('span', { class: 'row-actions' },
      button('Restart', () => restartInstance(r, () => table.reload()), { kind: 'small', test: 'instance-restart', action: 'dms:instance:modifyStatus', disabled: r.status !== 'RUNNING', lifecycle: true }),
      button('Delete', () => deleteInstance(r, () => table.reload()), { kind: 'small danger', test: 'instance-delete', action: 'dms:instance:delete', disabled: BUSY.test(r.status) && r.status !== 'CREATING', lifecycle: true }));
  }

  let timer = 0;
  const apply = () => {
    clearTimeout(timer);
    timer = setTimeout(() => table.reload(false), 250); // typing: one request per pause
  };
  search.addEventListener('input', apply);
  status.addEventListener('change', () => table.reload(false));

  // Every 5 s; every 2 s while a shown instance is busy (CREATING, RESTARTING...).
  let ticks = 0;
  poll(() => {
    ticks++;
    if ((busy && ticks % 2 === 0) || ticks % 5 === 0) return table.reload();
    return null;
  }, 1000);

  const create = button('Create instance', () => createInstance(() => table.reload(false)), { kind: 'primary', test: 'instance-create', action: 'dms:instance:create', lifecycle: true });
  return page('Instances', [create],
    h('div', { class: 'form-row toolbar' }, field('Name', search), field('Status', status)),
    table.el);
}

function statusCell(r) {
  const reason = r.opendms && r.opendms.status_reason;
  return h('span', { title: reason || undefined }, badge(r.status));
}

function brokersText(r) {
  return r._brokersUp === undefined ? fmtNum(r.broker_num) : `${fmtNum(r._brokersUp)} of ${fmtNum(r.broker_num)} up`;
}

// ---- create -----------------------------------------------------------------------------------

/**
 * createInstance opens the create form. Its choices come from the catalog: versions and flavors
 * (5.12.3), AZs (5.12.2), maintenance windows (5.12.1); limits (brokers, storage per broker) from the
 * chosen flavor. The server validates everything again; its error (code and message) shows in the
 * dialog.
 */
async function createInstance(after) {
  let products;
  let zones;
  let windows;
  try {
    [products, zones, windows] = await Promise.all([
      api.get('/v2/kafka/products'),
      api.get('/v2/available-zones'),
      api.get('/v2/instances/maintain-windows'),
    ]);
  } catch (e) {
    toast(e, 'error');
    return;
  }
  const flavors = products.products || [];
  const name = h('input', { name: 'name', required: true, test: 'create-name', attrs: { autocomplete: 'off', maxlength: 64 } });
  const description = h('textarea', { name: 'description', test: 'create-description', attrs: { maxlength: 1024, rows: 2 } });
  const version = select(products.versions || [], { name: 'engine_version', test: 'create-version', value: (products.versions || []).slice(-1)[0] });
  const flavor = select(flavors.map((p) => [p.product_id, flavorLabel(p)]), { name: 'product_id', test: 'create-flavor' });
  const brokers = h('input', { type: 'number', name: 'broker_num', test: 'create-brokers', attrs: { step: 1 } });
  const storage = h('input', { type: 'number', name: 'storage_space', test: 'create-storage', attrs: { step: 100 } });
  const storageHint = h('small', { class: 'hint', test: 'create-storage-hint' });
  const specCode = select([], { name: 'storage_spec_code', test: 'create-spec-code' });
  const azBox = h('div', { class: 'checks', test: 'create-azs' });
  const azChecks = (zones.available_zones || []).map((z, i) => {
    const id = `az-${i}`;
    const cb = h('input', { type: 'checkbox', id, value: z.id, disabled: z.soldOut, checked: false, test: `create-az-${z.code}` });
    azBox.appendChild(h('label', { for: id, class: 'check' }, cb, ` ${z.name || z.code}${z.soldOut ? ' (sold out)' : ''}`));
    return { cb, zone: z };
  });
  const firstAZ = azChecks.find((a) => !a.zone.soldOut && a.zone.default_az) || azChecks.find((a) => !a.zone.soldOut);
  if (firstAZ) firstAZ.cb.checked = true;
  const mwindow = select((windows.maintain_windows || []).map((w) => [`${w.begin}-${w.end}`, `${w.begin}–${w.end}`]), { name: 'maintain_window', test: 'create-window' });
  const dflt = (windows.maintain_windows || []).find((w) => w.default);
  if (dflt) mwindow.value = `${dflt.begin}-${dflt.end}`;
  const access = select([
    ['plain', 'PLAINTEXT'],
    ['sasl_plaintext', 'SASL_PLAINTEXT'],
    ['sasl_ssl', 'SASL_SSL'],
    ['plain+sasl_plaintext', 'PLAINTEXT and SASL_PLAINTEXT'],
    ['plain+sasl_ssl', 'PLAINTEXT and SASL_SSL'],
  ], { name: 'access', test: 'create-access', value: 'plain' });
  const user = h('input', { name: 'access_user', test: 'create-user', attrs: { autocomplete: 'off' } });
  const password = h('input', { type: 'password', name: 'password', test: 'create-password', attrs: { autocomplete: 'new-password' } });
  const mechPlain = h('input', { type: 'checkbox', id: 'mech-plain', checked: true, test: 'create-mech-plain' });
  const mechScram = h('input', { type: 'checkbox', id: 'mech-scram', test: 'create-mech-scram' });
  const saslBox = h('fieldset', { class: 'sasl', test: 'create-sasl' },
    h('legend', null, 'SASL user (the instance\'s first Kafka user)'),
    field('User', user, 'A letter, then 3 to 63 letters, digits, - and _.'),
    field('Password', password, '8 to 32 characters, three kinds of lower-case, upper-case, digits and special characters.'),
    h('div', { class: 'checks' },
      h('label', { for: 'mech-plain', class: 'check' }, mechPlain, ' PLAIN'),
      h('label', { for: 'mech-scram', class: 'check' }, mechScram, ' SCRAM-SHA-512')));
  const autoTopic = h('input', { type: 'checkbox', id: 'auto-topic', test: 'create-auto-topic' });
  const retention = select([['time_base', 'Delete the oldest messages (time_base)'], ['produce_reject', 'Refuse new messages (produce_reject)']], { name: 'retention_policy', test: 'create-retention' });
  const vpc = h('input', { name: 'vpc_id', value: 'vpc-default', test: 'create-vpc' });
  const subnet = h('input', { name: 'subnet_id', value: 'subnet-default', test: 'create-subnet' });
  const sg = h('input', { name: 'security_group_id', value: 'sg-default', test: 'create-sg' });

  const product = () => flavors.find((p) => p.product_id === flavor.value);
  const prop = (p, k) => Number(p && p.properties ? p.properties[k] : 0);
  function onFlavor() {
    const p = product();
    if (!p) return;
    brokers.min = prop(p, 'min_broker');
    brokers.max = prop(p, 'max_broker');
    if (!brokers.value || Number(brokers.value) < brokers.min || Number(brokers.value) > brokers.max) brokers.value = brokers.min;
    const codes = (p.ios || []).map((io) => io.io_spec);
    mount(specCode, codes.map((c) => h('option', { value: c }, c)));
    onBrokers();
  }
  function onBrokers() {
    const p = product();
    const n = Number(brokers.value) || 0;
    const lo = prop(p, 'min_storage_per_node') * n;
    const hi = prop(p, 'max_storage_per_node') * n;
    const min = Math.ceil(lo / 100) * 100;
    storage.min = min;
    storage.max = hi;
    if (!storage.value || Number(storage.value) < min || Number(storage.value) > hi) storage.value = min;
    storageHint.textContent = `${brokers.min} to ${brokers.max} brokers; ${fmtNum(min)} to ${fmtNum(hi)} GB of storage for ${n}, a multiple of 100.`;
  }
  function onAccess() {
    saslBox.hidden = access.value === 'plain';
  }
  flavor.addEventListener('change', onFlavor);
  brokers.addEventListener('input', onBrokers);
  access.addEventListener('change', onAccess);
  onFlavor();
  onAccess();

  const body = h('form', { class: 'create-form', test: 'create-form', attrs: { novalidate: true }, on: { submit: (e) => e.preventDefault() } },
    h('div', { class: 'grid2' },
      h('div', null,
        field('Name', name, '4 to 64 letters, digits, - and _.'),
        field('Description', description),
        field('Kafka version', version),
        field('Flavor', flavor),
        h('div', { class: 'form-row' }, field('Brokers', brokers), field('Storage (GB)', storage)),
        storageHint,
        field('Disk type', specCode)),
      h('div', null,
        h('fieldset', null, h('legend', null, 'Availability zones (1, or 3 and more)'), azBox),
        field('Maintenance window', mwindow),
        field('Private access', access),
        saslBox,
        field('When the disk is full', retention),
        h('label', { for: 'auto-topic', class: 'check' }, autoTopic, ' Create topics automatically'),
        h('details', null, h('summary', null, 'Network'),
          field('VPC', vpc, 'OpenDMS records these ids; it runs no VPCs.'), field('Subnet', subnet), field('Security group', sg)))));

  modal({
    title: 'Create instance',
    body,
    wide: true,
    test: 'create-modal',
    actions: [{
      label: 'Create', kind: 'primary', test: 'create-submit',
      onClick: async () => {
        const mode = access.value;
        const sasl = mode !== 'plain';
        const [begin, end] = mwindow.value.split('-');
        const req = {
          name: name.value.trim(),
          description: description.value,
          engine: 'kafka',
          engine_version: version.value,
          product_id: flavor.value,
          broker_num: Number(brokers.value),
          storage_space: Number(storage.value),
          storage_spec_code: specCode.value,
          available_zones: azChecks.filter((a) => a.cb.checked).map((a) => a.zone.id),
          maintain_begin: begin,
          maintain_end: end,
          vpc_id: vpc.value.trim(),
          subnet_id: subnet.value.trim(),
          security_group_id: sg.value.trim(),
          retention_policy: retention.value,
          enable_auto_topic: autoTopic.checked,
          ssl_enable: sasl,
          port_protocol: {
            private_plain_enable: mode.startsWith('plain'),
            private_sasl_plaintext_enable: mode.endsWith('sasl_plaintext'),
            private_sasl_ssl_enable: mode.endsWith('sasl_ssl'),
          },
        };
        if (sasl) {
          req.access_user = user.value.trim();
          req.password = password.value;
          req.sasl_enabled_mechanisms = [mechPlain.checked && 'PLAIN', mechScram.checked && 'SCRAM-SHA-512'].filter(Boolean);
        }
        const res = await api.post(`/v2/kafka/${P()}/instances`, req);
        toast(`Creating ${req.name} (${res.instance_id})`);
        if (after) after(res.instance_id);
      },
    }],
  });
  name.focus();
}

function flavorLabel(p) {
  const pr = p.properties || {};
  const alias = pr.product_alias ? ` (${pr.product_alias})` : '';
  return `${p.product_id}${alias}: ${pr.max_partition_per_broker} partitions, ${pr.max_bandwidth_per_broker} MB/s per broker`;
}

export const routes = [
  { path: '/instances', title: 'Instances', render: listPage },
];
