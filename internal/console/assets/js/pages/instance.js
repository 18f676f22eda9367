// An instance's overview (#/instances/:id): its state (5.1.3), brokers (5.2.6), listeners with
// ready-to-copy client settings and the CA certificate (/opendms/v1/.../ca-certificate), Kafka
// Manager (5.2.2, 5.2.3, 5.2.12), configs (5.1.7, changed in place through 5.1.8), tags (5.10.1-2)
// and background tasks with progress (5.9.1 and the task progress API). The state, brokers, tags and
// tasks refresh every 5 s (every 2 s while the instance or a task is busy); the configs when a change
// the page made ends, so an edit in progress is never overwritten.

import { api, P, scopedInstance } from '../api.js';
import {
  h, mount, page, dataTable, modal, confirmAction, field, select, button, kv, badge, errorBox, toast, poll,
  instanceNav, fmtTime, fmtNum, copyButton, download, can, mountChanged,
} from '../ui.js';
import { BUSY, restartInstance, deleteInstance, diskUse } from './instances.js';

const FINAL_TASK = /^(SUCCESS|FAILED|DELETED|CANCELED|CANCELLED)$/;

async function instancePage({ id }) {
  const enc = encodeURIComponent(id);
  const base = `/v2/${P()}/instances/${enc}`;
  let inst = await api.get(base);

  const title = h('span', { test: 'instance-name' }, inst.name);
  const overviewHost = h('div', { test: 'overview' });
  const clusterHost = h('div', { test: 'brokers-panel' });
  const listenersHost = h('div', { test: 'listeners' });
  const kmHost = h('div', { test: 'kafka-manager' });
  const tags = tagsPanel(id, () => inst);
  const tasks = tasksPanel(base);
  const configs = configsPanel(base, tasks);
  let cluster = null;
  let clusterErr = null;
  // The Kafka Manager user: only V1's show (7.1.1.2) has kafka_manager_user. Read while the
  // manager is on; kept until it goes off.
  let managerUser = '';

  async function loadManagerUser() {
    if (!inst.management_connect_address) {
      managerUser = '';
      return;
    }
    if (managerUser) return;
    try {
      managerUser = (await api.get(`/v1.0/${P()}/instances/${enc}`)).kafka_manager_user || '';
    } catch {
      managerUser = ''; // the panel shows without it
    }
  }

  async function loadCluster() {
    try {
      cluster = (await api.get(`${base}/management/cluster`)).cluster;
      clusterErr = null;
    } catch (e) {
      cluster = null;
      clusterErr = e;
    }
  }

  // Each panel is built again only when what it shows changed: the 5 s refresh leaves a focused
  // button, a chosen client or an open select where they are.
  function renderAll() {
    const errKey = clusterErr && { status: clusterErr.status, code: clusterErr.code, message: clusterErr.message };
    mountChanged(overviewHost, [inst, cluster], () => overview(inst, cluster));
    mountChanged(clusterHost, [inst.status, cluster, errKey], () => brokersPanel(inst, cluster, clusterErr));
    mountChanged(listenersHost, [inst.status, inst.port_protocols, inst.connect_address, inst.port, inst.kafka_security_protocol,
      inst.sasl_enabled_mechanisms, inst.access_user], () => listenersPanel(inst, id));
    mountChanged(kmHost, [inst.management_connect_address, managerUser], () => kafkaManagerPanel(inst, id, refresh, managerUser));
    tags.render(inst.tags || []);
  }

  // refreshSeq: the poll and the Kafka Manager actions both refresh; an older answer arriving
  // last is dropped rather than shown over a newer one.
  let refreshSeq = 0;
  async function refresh() {
    const my = ++refreshSeq;
    const next = await api.get(base);
    if (my !== refreshSeq) return;
    inst = next;
    title.textContent = inst.name;
    await Promise.all([inst.status === 'RUNNING' || BUSY.test(inst.status) ? loadCluster() : null, loadManagerUser()]);
    if (my !== refreshSeq) return;
    renderAll();
  }

  await Promise.all([inst.status !== 'CREATING' ? loadCluster() : null, loadManagerUser()]);
  renderAll();

  // 5 s, or 2 s while the instance or one of its tasks is busy.
  // A failed refresh (the instance deleted meanwhile, the server gone) says so above the panels.
  const errHost = h('div', { test: 'instance-refresh-error' });
  let ticks = 0;
  poll(async () => {
    ticks++;
    const busy = BUSY.test(inst.status) || tasks.busy();
    if (!(busy && ticks % 2 === 0) && ticks % 5 !== 0) return;
    try {
      await Promise.all([refresh(), tasks.reload()]);
      mount(errHost);
    } catch (e) {
      mount(errHost, errorBox(e));
    }
  }, 1000);

  const actions = [
    button('Restart', () => restartInstance(inst, refresh), { test: 'instance-restart', action: 'dms:instance:modifyStatus', lifecycle: true }),
    button('Delete', () => deleteInstance(inst, () => { location.hash = '#/instances'; }), { kind: 'danger', test: 'instance-delete', action: 'dms:instance:delete', lifecycle: true }),
  ];
  return page(title, actions,
    instanceNav(id, 'overview'),
    errHost,
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', null, 'Overview'), overviewHost),
      h('section', { class: 'panel' }, h('h2', null, 'Brokers'), clusterHost)),
    h('section', { class: 'panel' }, h('h2', null, 'Listeners and client settings'), listenersHost),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('h2', null, 'Tags'), tags.el),
      h('section', { class: 'panel' }, h('h2', null, 'Kafka Manager'), kmHost)),
    h('section', { class: 'panel' }, h('h2', null, 'Configuration'), configs.el),
    h('section', { class: 'panel' }, h('h2', null, 'Background tasks'), tasks.el));
}

// ---- overview -----------------------------------------------------------------------------------

function overview(inst, cluster) {
  const o = inst.opendms || {};
  let brokersUp = fmtNum(inst.broker_num);
  if (cluster && Array.isArray(cluster.brokers)) {
    const up = cluster.brokers.filter((b) => b.is_health).length;
    brokersUp = `${up} of ${fmtNum(inst.broker_num)} up`;
  }
  return kv([
    ['Status', h('span', null, badge(inst.status), o.status_reason ? h('span', { class: 'muted', test: 'status-reason' }, ` ${o.status_reason}`) : null)],
    ['ID', h('span', { class: 'mono', test: 'instance-id' }, inst.instance_id)],
    ['Engine', `${inst.engine} ${inst.type || ''}${o.engine ? ` (runs on: ${o.engine})` : ''}`],
    ['Version', h('span', { test: 'engine-version' }, inst.engine_version, o.kafka_version ? ` (Kafka ${o.kafka_version})` : '')],
    ['Flavor', `${inst.product_id} · ${inst.specification}`],
    ['Brokers', h('span', { test: 'brokers-up' }, brokersUp)],
    ['Disk', h('span', null, diskUse(inst), inst.storage_spec_code ? h('span', { class: 'muted' }, ` · ${inst.storage_spec_code}`) : null)],
    ['Partitions (max)', inst.partition_num],
    ['Security', [inst.kafka_security_protocol || 'PLAINTEXT', (inst.sasl_enabled_mechanisms || []).length ? ` · ${inst.sasl_enabled_mechanisms.join(', ')}` : ''].join('')],
    ['Maintenance window', inst.maintain_begin ? `${inst.maintain_begin}–${inst.maintain_end}` : ''],
    ['Disk full policy', inst.retention_policy],
    ['Auto-create topics', inst.enable_auto_topic ? 'yes' : 'no'],
    ['Created', `${fmtTime(inst.created_at)}${inst.user_name ? ` by ${inst.user_name}` : ''}`],
    ['Description', inst.description],
  ], 'overview-kv');
}

function brokersPanel(inst, cluster, err) {
  if (err) return errorBox(err);
  if (!cluster) return h('p', { class: 'muted' }, inst.status === 'CREATING' ? 'The brokers are starting.' : 'No broker information.');
  const brokers = cluster.brokers || [];
  const rows = brokers.map((b) => h('tr', { test: `broker-${b.broker_id}` },
    h('td', { dataset: { label: 'ID' } }, b.broker_id),
    h('td', { dataset: { label: 'Host' }, class: 'mono', test: 'broker-host' }, `${b.host}:${b.port}`),
    h('td', { dataset: { label: 'Role' } }, b.is_controller ? h('span', { class: 'badge ok', test: 'controller' }, 'controller') : ''),
    h('td', { dataset: { label: 'Health' } }, h('span', { class: ['badge', b.is_health ? 'ok' : 'bad'], test: 'broker-health' }, b.is_health ? 'up' : 'down')),
    h('td', { dataset: { label: 'Registered' } }, fmtTime(b.register_time))));
  return [
    h('div', { class: 'scroll-x' }, h('table', { class: 'data cards', test: 'brokers' },
      h('thead', null, h('tr', null, ['ID', 'Host', 'Role', 'Health', 'Registered'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'No brokers.'))))),
    kv([
      ['Controller', h('span', { test: 'controller-id' }, cluster.controller)],
      ['Topics', fmtNum(cluster.topics_count)],
      ['Partitions', `${fmtNum(cluster.online_partitions_count)} online of ${fmtNum(cluster.partitions_count)}`],
      ['Replicas', `${fmtNum(cluster.isr_replicas_count)} in sync of ${fmtNum(cluster.replicas_count)}`],
      ['Consumer groups', fmtNum(cluster.consumers_count)],
    ], 'cluster-kv'),
  ];
}

// ---- listeners and client settings ----------------------------------------------------------------

// listeners are the enabled access modes of port_protocols with their bootstrap servers.
function listeners(inst) {
  const pp = inst.port_protocols || {};
  const out = [];
  const add = (key, label, protocol, addr) => {
    if (pp[`${key}_enable`] && (pp[`${key}_address`] || addr)) out.push({ key, label, protocol, bootstrap: pp[`${key}_address`] || addr });
  };
  add('private_plain', 'Private, PLAINTEXT', 'PLAINTEXT');
  add('private_sasl_plaintext', 'Private, SASL_PLAINTEXT', 'SASL_PLAINTEXT');
  add('private_sasl_ssl', 'Private, SASL_SSL', 'SASL_SSL');
  add('public_plain', 'Public, PLAINTEXT', 'PLAINTEXT');
  add('public_sasl_plaintext', 'Public, SASL_PLAINTEXT', 'SASL_PLAINTEXT');
  add('public_sasl_ssl', 'Public, SASL_SSL', 'SASL_SSL');
  if (out.length === 0 && inst.connect_address) {
    // An instance shown without port_protocols (created through V1): connect_address and port.
    const bootstrap = inst.connect_address.split(',').map((h0) => `${h0}:${inst.port}`).join(',');
    out.push({ key: 'default', label: 'Private', protocol: inst.kafka_security_protocol || 'PLAINTEXT', bootstrap });
  }
  return out;
}

const CLIENTS = [['java', 'Java (client.properties)'], ['kcat', 'kcat'], ['franz-go', 'franz-go (Go)']];

/**
 * clientSettings is what a client needs for a listener: the bootstrap servers, the protocol and, for
 * SASL, the mechanism and login with the instance's SASL user and a PASSWORD placeholder (the console
 * never knows the password), and for SSL the CA certificate (downloaded next to it as ca.pem).
 */
export function clientSettings(kind, l, inst) {
  const sasl = l.protocol.startsWith('SASL');
  const ssl = l.protocol === 'SASL_SSL';
  const mechs = inst.sasl_enabled_mechanisms || [];
  const mech = mechs.includes('PLAIN') || mechs.length === 0 ? 'PLAIN' : mechs[0];
  const user = inst.access_user || 'USERNAME';
  const scram = mech.startsWith('SCRAM');
  if (kind === 'kcat') {
    const args = [`kcat -b ${l.bootstrap}`, `-X security.protocol=${l.protocol}`];
    if (sasl) args.push(`-X sasl.mechanisms=${mech}`, `-X sasl.username=${user}`, '-X sasl.password=PASSWORD');
    if (ssl) args.push('-X ssl.ca.location=ca.pem');
    args.push('-L');
    return args.join(' \\\n  ');
  }
  if (kind === 'franz-go') {
    const seeds = l.bootstrap.split(',').map((s) => `"${s}"`).join(', ');
    const lines = ['opts := []kgo.Opt{', `\tkgo.SeedBrokers(${seeds}),`];
    if (sasl) {
      lines.push(scram
        ? `\tkgo.SASL(scram.Auth{User: "${user}", Pass: "PASSWORD"}.AsSha512Mechanism()),`
        : `\tkgo.SASL(plain.Auth{User: "${user}", Pass: "PASSWORD"}.AsMechanism()),`);
    }
    if (ssl) lines.push('\tkgo.DialTLSConfig(&tls.Config{RootCAs: pool}), // pool: x509.NewCertPool() with ca.pem appended');
    lines.push('}', 'client, err := kgo.NewClient(opts...)');
    return lines.join('\n');
  }
  const props = [`bootstrap.servers=${l.bootstrap}`, `security.protocol=${l.protocol}`];
  if (sasl) {
    const module = scram ? 'org.apache.kafka.common.security.scram.ScramLoginModule' : 'org.apache.kafka.common.security.plain.PlainLoginModule';
    props.push(`sasl.mechanism=${mech}`, `sasl.jaas.config=${module} required username="${user}" password="PASSWORD";`);
  }
  if (ssl) props.push('ssl.truststore.type=PEM', 'ssl.truststore.location=/path/to/ca.pem');
  return props.join('\n');
}

function listenersPanel(inst, id) {
  const ls = listeners(inst);
  if (ls.length === 0) return h('p', { class: 'muted', test: 'no-listeners' }, inst.status === 'CREATING' ? 'The listeners are ready once the instance runs.' : 'No listener is enabled.');
  const anySSL = ls.some((l) => l.protocol === 'SASL_SSL');
  return [
    ls.map((l) => listenerBlock(l, inst)),
    anySSL ? h('p', null, button('Download CA certificate (ca.pem)', () => downloadCA(id), { test: 'ca-download' }),
      h('span', { class: 'muted' }, ' SASL_SSL clients trust the brokers\' certificates through it.')) : null,
  ];
}

// listenerBlock keeps its chosen client across the page's refreshes (the choice is remembered per
// listener while the page is open).
const chosenClient = new Map();

function listenerBlock(l, inst) {
  const kind = select(CLIENTS, { test: `client-kind-${l.key}`, value: chosenClient.get(l.key) || 'java' });
  const pre = h('pre', { test: `client-settings-${l.key}` });
  const copyHost = h('span');
  const show = () => {
    chosenClient.set(l.key, kind.value);
    const text = clientSettings(kind.value, l, inst);
    pre.textContent = text;
    mount(copyHost, copyButton(text, `copy-settings-${l.key}`));
  };
  kind.addEventListener('change', show);
  show();
  return h('div', { class: 'listener', test: `listener-${l.key}` },
    h('h3', null, l.label),
    h('div', { class: 'bootstrap' },
      h('code', { test: `bootstrap-${l.key}` }, l.bootstrap), ' ', copyButton(l.bootstrap, `copy-bootstrap-${l.key}`)),
    h('div', { class: 'form-row' }, field('Client', kind), copyHost),
    pre);
}

async function downloadCA(id) {
  try {
    const resp = await api.raw('GET', `/opendms/v1/${P()}/instances/${encodeURIComponent(id)}/ca-certificate`);
    download(await resp.blob(), 'ca.pem', 'application/x-pem-file');
  } catch (e) {
    toast(e, 'error');
  }
}

// ---- Kafka Manager ------------------------------------------------------------------------------

// kmLink turns management_connect_address into a link when it is this console (same origin; h()
// links only same-origin paths), else shows it as text.
function kmLink(addr) {
  try {
    const u = new URL(addr, location.href);
    if (u.origin === location.origin) return h('a', { href: u.pathname + u.search + u.hash, test: 'km-address' }, addr);
  } catch {
    // not a URL: shown as text
  }
  return h('code', { test: 'km-address' }, addr);
}

function kafkaManagerPanel(inst, id, refresh, managerUser) {
  const addr = inst.management_connect_address;
  const path = `/v2/${P()}/instances/${encodeURIComponent(id)}`;
  const reset = button(addr ? 'Reset password' : 'Set password', () => resetManagerPassword(id, refresh), { kind: 'small', test: 'km-reset-password', action: 'dms:instance:resetAuthInfo', lifecycle: true });
  if (!addr) {
    return [h('p', { class: 'muted', test: 'km-disabled' }, 'Kafka Manager is off: it has no password yet, or it was disabled. Setting its password turns it on.'), reset];
  }
  return [
    kv([['Address', kmLink(addr)], managerUser ? ['User', h('span', { class: 'mono', test: 'km-user' }, managerUser)] : null]),
    h('p', { class: 'muted' }, 'Its user signs in to this console, which then shows this instance only.'),
    h('div', { class: 'actions' },
      reset,
      button('Restart', () => confirmAction({
        title: 'Restart Kafka Manager?', text: 'Everyone signed in with the Kafka Manager user is signed out.', confirmLabel: 'Restart', danger: false,
        run: async () => {
          await api.put(`${path}/restart-kafka-manager`);
          toast('Kafka Manager restarted');
          await refresh();
        },
      }), { kind: 'small', test: 'km-restart', action: 'dms:instance:modifyStatus', lifecycle: true }),
      button('Disable', () => confirmAction({
        title: 'Disable Kafka Manager?', text: 'Its address is removed and its user can no longer sign in. IAM users keep their access.', confirmLabel: 'Disable',
        run: async () => {
          await api.del(`/v2/${P()}/kafka/instances/${encodeURIComponent(id)}/management`);
          toast('Kafka Manager disabled');
          await refresh();
        },
      }), { kind: 'small danger', test: 'km-disable', action: 'dms:instance:modify', lifecycle: true })),
  ];
}

function resetManagerPassword(id, refresh) {
  const pw = h('input', { type: 'password', test: 'km-new-password', attrs: { autocomplete: 'new-password' } });
  modal({
    title: 'Reset Kafka Manager password',
    test: 'km-password-modal',
    body: [field('New password', pw, 'Sign-ins made with the old password end.')],
    actions: [{
      label: 'Reset', kind: 'primary', test: 'km-password-submit',
      onClick: async () => {
        await api.put(`/v2/${P()}/instances/${encodeURIComponent(id)}/kafka-manager-password`, { new_password: pw.value });
        toast('Kafka Manager password set');
        await refresh();
      },
    }],
  });
  pw.focus();
}

// ---- configs ------------------------------------------------------------------------------------

/**
 * configsPanel lists 5.1.7's configs: values that differ from the default have class 'changed';
 * a caller who may modify the instance edits values in place and saves them with 5.1.8, whose task
 * is followed in the tasks panel; the list is read again when that task ends.
 */
function configsPanel(base, tasks) {
  const el = h('div', { test: 'configs-panel' });
  const errHost = h('div');
  const result = h('div', { test: 'configs-result', attrs: { 'aria-live': 'polite' } });
  const filter = h('input', { type: 'search', test: 'configs-filter', attrs: { placeholder: 'Filter by name…' } });
  const tbody = h('tbody');
  // A Kafka Manager sign-in reads configs but may not change them (see ui.js button's lifecycle).
  const editable = can('dms:instance:modify') && !scopedInstance();
  let inputs = new Map(); // name -> {control, config}
  const save = button('Save changes', saveChanges, { kind: 'primary', test: 'configs-save', action: 'dms:instance:modify', disabled: true, lifecycle: true });

  async function load() {
    let res;
    try {
      res = await api.get(`${base}/configs`);
    } catch (e) {
      mount(errHost, errorBox(e));
      return;
    }
    mount(errHost);
    inputs = new Map();
    const cfgs = res.kafka_configs || [];
    mount(tbody, cfgs.map(row));
    applyFilter();
    dirty();
  }

  function row(c) {
    const changed = String(c.value) !== String(c.default_value);
    let valueCell;
    if (editable) {
      const options = c.valid_values && c.valid_values.includes(',') ? c.valid_values.split(',') : null;
      const control = options
        ? select(options, { value: c.value, test: `config-input-${c.name}` })
        : h('input', { value: c.value, test: `config-input-${c.name}`, attrs: { inputmode: c.value_type === 'integer' ? 'numeric' : undefined, size: 12 } });
      control.setAttribute('aria-label', c.name);
      control.addEventListener(options ? 'change' : 'input', dirty);
      inputs.set(c.name, { control, config: c });
      valueCell = control;
    } else {
      valueCell = h('span', { class: 'mono', test: `config-value-${c.name}` }, c.value);
    }
    return h('tr', { class: changed ? 'changed' : '', test: `config-${c.name}`, dataset: { name: c.name } },
      h('td', { class: 'mono', dataset: { label: 'Name' } }, c.name),
      h('td', { dataset: { label: 'Value' } }, valueCell),
      h('td', { class: 'mono', dataset: { label: 'Default' } }, c.default_value),
      h('td', { dataset: { label: 'Applies' } }, c.config_type === 'dynamic' ? 'live' : 'after a rolling restart'),
      h('td', { class: 'mono', dataset: { label: 'Valid values' } }, c.valid_values));
  }

  function edits() {
    const out = [];
    for (const [name, { control, config }] of inputs) {
      const v = control.value.trim();
      const edited = v !== String(config.value);
      control.classList.toggle('edited', edited);
      if (edited) out.push({ name, value: v });
    }
    return out;
  }

  function dirty() {
    if (save) save.disabled = edits().length === 0;
  }

  async function saveChanges() {
    const changes = edits();
    if (changes.length === 0) return;
    save.disabled = true;
    mount(result);
    try {
      const res = await api.put(`${base}/configs`, { kafka_configs: changes });
      const restart = res.static_config > 0 ? ` ${res.static_config} of them need a rolling restart, which the task does.` : '';
      mount(result, h('p', { class: 'ok-note', test: 'configs-job' },
        `Task ${res.job_id} applies ${changes.length} change${changes.length > 1 ? 's' : ''}.${restart}`));
      tasks.follow(res.job_id, () => load());
      tasks.reload();
    } catch (e) {
      mount(result, errorBox(e));
      dirty();
    }
  }

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const tr of tbody.children) tr.hidden = q !== '' && !String(tr.dataset.name || '').toLowerCase().includes(q);
  }
  filter.addEventListener('input', applyFilter);

  mount(el,
    h('div', { class: 'form-row' }, field('Filter', filter),
      button('Reload', () => load(), { kind: 'small', test: 'configs-reload' }), save),
    h('p', { class: 'muted' }, 'Highlighted rows differ from the default.'),
    errHost, result,
    h('div', { class: 'scroll-x' }, h('table', { class: 'data cards', test: 'configs' },
      h('thead', null, h('tr', null, ['Name', 'Value', 'Default', 'Applies', 'Valid values'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody)));
  load();
  return { el, load };
}

// ---- tags ---------------------------------------------------------------------------------------

function tagsPanel(id, current) {
  const path = `/v2/${P()}/kafka/${encodeURIComponent(id)}/tags`;
  const list = h('ul', { class: 'tags', test: 'tags' });
  const errHost = h('div');
  const key = h('input', { test: 'tag-key', attrs: { maxlength: 128, autocomplete: 'off' } });
  const value = h('input', { test: 'tag-value', attrs: { maxlength: 255, autocomplete: 'off' } });
  let shown = [];

  async function reload() {
    try {
      const res = await api.get(path);
      render(res.tags || []);
    } catch (e) {
      mount(errHost, errorBox(e));
    }
  }

  async function change(action, tags) {
    mount(errHost);
    try {
      await api.post(`${path}/action`, { action, tags });
      await reload();
      return true;
    } catch (e) {
      mount(errHost, errorBox(e));
      return false;
    }
  }

  // Built again only when the tags changed (as the other panels): the 5 s refresh no longer
  // replaces a Remove button under the pointer or the keyboard's focus.
  function render(tags) {
    shown = tags;
    mountChanged(list, tags, () => (!tags.length
      ? h('li', { class: 'muted' }, 'No tags.')
      : tags.map((t) => h('li', { test: `tag-${t.key}` },
        h('span', { class: 'tag' }, h('strong', null, t.key), t.value !== '' ? ` = ${t.value}` : ''), ' ',
        button('Remove', () => change('delete', [{ key: t.key, value: t.value }]), { kind: 'small', test: `tag-delete-${t.key}`, action: 'dms:instance:modify', title: `Remove the tag ${t.key}`, lifecycle: true })))));
  }

  const add = button('Add tag', async () => {
    if (!key.value.trim()) {
      mount(errHost, errorBox(new Error('A tag needs a key.')));
      return;
    }
    if (await change('create', [{ key: key.value.trim(), value: value.value.trim() }])) {
      key.value = '';
      value.value = '';
    }
  }, { kind: 'small primary', test: 'tag-add', action: 'dms:instance:modify', lifecycle: true });
  const form = add ? h('div', { class: 'form-row' }, field('Key', key), field('Value', value), add) : null;
  const el = h('div', null, list, errHost, form);
  render(current().tags || []);
  return {
    el,
    // The instance's poll passes its tags (5.1.3 shows them): no extra request.
    render: (tags) => {
      if (JSON.stringify(tags) !== JSON.stringify(shown)) render(tags);
    },
  };
}

// ---- tasks --------------------------------------------------------------------------------------

/**
 * tasksPanel pages 5.9.1 on the server (newest first), with each unfinished task's progress.
 * follow(taskId, fn) calls fn once that task has ended (the configs panel reloads then).
 */
function tasksPanel(base) {
  const followers = new Map();
  let running = false;
  const table = dataTable({
    test: 'tasks',
    pageSize: 5,
    empty: 'No background tasks.',
    rowTest: (t) => `task-${t.id}`,
    columns: [
      { key: 'name', label: 'Task', render: (t) => h('span', { class: 'mono' }, t.name) },
      { key: 'status', label: 'Status', render: (t) => h('span', null, badge(t.status), t.error ? h('span', { class: 'muted' }, ` ${t.error}`) : null) },
      { key: 'progress', label: 'Progress', render: progressCell },
      { key: 'user_name', label: 'By' },
      { key: 'created_at', label: 'Started', render: (t) => fmtTime(t.created_at) },
      { key: 'updated_at', label: 'Updated', render: (t) => fmtTime(t.updated_at) },
    ],
    load: async ({ offset, limit }) => {
      const res = await api.get(`${base}/tasks`, { offset, limit });
      const rows = res.tasks || [];
      running = rows.some((t) => !FINAL_TASK.test(t.status));
      // Progress of the unfinished ones shown (a handful at most: one page).
      await Promise.all(rows.filter((t) => !FINAL_TASK.test(t.status)).map(async (t) => {
        try {
          t.progress = await api.get(`${base}/tasks/${encodeURIComponent(t.id)}/progress`);
        } catch {
          t.progress = null;
        }
      }));
      await checkFollowed(rows);
      return { rows, total: Number(res.task_count) };
    },
  });
  table.el.querySelector('table').classList.add('cards');

  // checkFollowed calls the followers of the tasks that ended: from the page's rows, or, for a
  // task not on the page shown, from 5.9.2.
  async function checkFollowed(rows) {
    for (const [id, fn] of [...followers]) {
      let t = rows.find((r) => r.id === id);
      if (!t) {
        try {
          t = ((await api.get(`${base}/tasks/${encodeURIComponent(id)}`)).tasks || [])[0];
        } catch {
          t = null;
        }
      }
      if (t && FINAL_TASK.test(t.status)) {
        followers.delete(id);
        fn(t);
      }
    }
  }

  function progressCell(t) {
    if (t.status === 'SUCCESS') return h('progress', { max: 100, value: 100, test: 'task-progress', attrs: { 'aria-label': 'done' } });
    if (!t.progress) return '';
    const pct = Number(t.progress.progress_percentage || 0);
    // The step under way (statue IN_PROGRESS), else the one that failed, else the next waiting one;
    // COMPLETED steps are behind.
    const steps = t.progress.step_list || [];
    const step = ['IN_PROGRESS', 'FAILED', 'WAITING'].map((st) => steps.find((s) => s.statue === st)).find(Boolean);
    return h('span', { test: 'task-progress' },
      h('progress', { max: 100, value: pct, attrs: { 'aria-label': `${pct}%` } }), ` ${pct}%`,
      step ? h('span', { class: 'muted' }, ` · ${step.name}`) : null);
  }

  return {
    el: table.el,
    reload: () => table.reload(),
    busy: () => running || followers.size > 0,
    follow: (taskId, fn) => followers.set(taskId, fn),
  };
}

export const routes = [
  { path: '/instances/:id', title: 'Instance', render: instancePage },
];
