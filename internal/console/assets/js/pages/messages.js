// The message browser of an instance: pick a topic and a partition (or all), then start from the
// newest or the oldest records, from a time range (5.8.1's offset search: start_time/end_time, asc,
// page numbers, keyword), or from an offset in one partition (5.8.1's content mode, one call per
// record). Records show partition, offset, timestamp, key, headers and value; a JSON value is shown
// formatted, a long one cut (the first SHOW_CHARS characters) with a download of the whole record
// (5.8.1 content mode with download=true). Produce sends one record (5.5.1).
//
// Every part of a record is data from the topic and goes to the page as text (h() builds text
// nodes): a value holding markup shows as those characters.

import { api, P } from '../api.js';
import {
  h, mount, page, modal, field, select, button, errorBox, toast, poll, instanceNav, prettyJSON,
  fmtBytes, fmtNum, fmtTime, download, spinner,
} from '../ui.js';

const MODIFY = 'dms:instance:modify';
const enc = encodeURIComponent;
const base = (id) => `/v2/${P()}/instances/${enc(id)}`;

// SHOW_CHARS is how much of a key, value or header the list shows; the server cuts at 16 KiB too
// (huge_message). The rest is a download away.
const SHOW_CHARS = 4096;
const MAX_KEYWORD = 50; // 5.8.1's bound
const SEEKS = [['newest', 'Newest first'], ['oldest', 'Oldest first'], ['time', 'Time range'], ['offset', 'From offset']];
const LIMITS = ['10', '20', '50'];

// ---- time inputs ----------------------------------------------------------------------------------

/** toLocalInput formats Unix ms for <input type=datetime-local step=1> (local time). */
function toLocalInput(ms) {
  if (ms === '' || ms === undefined || ms === null || isNaN(Number(ms))) return '';
  const d = new Date(Number(ms));
  const pad = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** fromLocalInput is the Unix ms of a datetime-local value (local time), or '' when empty/bad. */
function fromLocalInput(v) {
  if (!v) return '';
  const t = new Date(v).getTime();
  return isNaN(t) ? '' : t;
}

// ---- one record -----------------------------------------------------------------------------------

/** shownText cuts s to SHOW_CHARS; a JSON text that is whole is formatted. */
function shownText(s, encoding, huge) {
  const text = s ?? '';
  const cut = text.length > SHOW_CHARS;
  const pretty = !encoding && !cut && !huge ? prettyJSON(text) : null;
  return { text: pretty ?? (cut ? text.slice(0, SHOW_CHARS) : text), cut: cut || !!huge, json: pretty !== null };
}

function encodingNote(encoding) {
  return encoding ? h('span', { class: 'badge', title: 'Not UTF-8: shown in base64' }, encoding) : null;
}

function base64Bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** fetchWhole reads one record whole (5.8.1 content mode, download=true). */
async function fetchWhole(id, topic, partition, offset) {
  const res = await api.get(`${base(id)}/messages`, { topic, partition, message_offset: offset, download: true });
  const m = (res.messages || [])[0];
  if (!m) throw new Error(`Offset ${offset} of partition ${partition} holds no message (compacted away or a transaction marker).`);
  return m;
}

/** downloadValue fetches a record whole and saves its value: raw bytes, as a .json when it parses. */
async function downloadValue(id, r) {
  try {
    const m = await fetchWhole(id, r.topic, r.partition, r.message_offset);
    const name = `${m.topic}-${m.partition}-${m.message_offset}`;
    if (m.value_encoding === 'base64') download(base64Bytes(m.value || ''), `${name}.bin`);
    else if (prettyJSON(m.value || '') !== null) download(m.value, `${name}.json`, 'application/json');
    else download(m.value || '', `${name}.txt`, 'text/plain;charset=utf-8');
  } catch (e) {
    toast(e, 'error');
  }
}

function recordRow(id, r) {
  const key = r.key === null || r.key === undefined
    ? h('span', { class: 'muted' }, '(no key)')
    : [encodingNote(r.key_encoding), h('span', { class: 'mono record-key', test: 'record-key' }, shownText(r.key, r.key_encoding, false).text)];
  const v = shownText(r.value, r.value_encoding, r.huge_message);
  const headers = (r.headers || []).length
    ? h('ul', { class: 'plain record-headers', test: 'record-headers' }, r.headers.map((hd) => h('li', { class: 'mono' },
      h('strong', null, hd.name), ': ', encodingNote(hd.encoding), shownText(hd.value, hd.encoding, false).text)))
    : h('span', { class: 'muted' }, '—');
  const cell = (label, ...c) => h('td', { dataset: { label } }, c);
  return h('tr', { test: 'record', dataset: { partition: r.partition, offset: r.message_offset } },
    cell('Partition', h('span', { test: 'record-partition' }, String(r.partition))),
    cell('Offset', h('span', { test: 'record-offset' }, String(r.message_offset))),
    cell('Timestamp', h('span', { test: 'record-time', title: String(r.timestamp) }, fmtTime(r.timestamp))),
    cell('Key', h('div', { class: 'record-cell' }, key)),
    cell('Headers', h('div', { class: 'record-cell' }, headers)),
    cell('Value', h('div', { class: 'record-cell' },
      encodingNote(r.value_encoding),
      h('pre', { class: ['record-value', v.json && 'json'], test: 'record-value', dataset: { json: v.json ? 'true' : 'false' } }, v.text),
      v.cut ? h('div', { class: 'cut', test: 'record-cut' }, `Showing the first ${fmtNum(SHOW_CHARS)} characters of ${fmtBytes(r.size)}.`) : null)),
    cell('Size', fmtBytes(r.size)),
    cell('', h('button', {
      type: 'button', class: 'btn small', test: 'record-download', title: 'Download the whole value',
      on: { click: () => downloadValue(id, r) },
    }, 'Download')));
}

function recordsTable(id, records) {
  const cols = ['Partition', 'Offset', 'Timestamp', 'Key', 'Headers', 'Value', 'Size', ''];
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data cards records', test: 'records' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, records.map((r) => recordRow(id, r)))));
}

// ---- produce --------------------------------------------------------------------------------------

function produceDialog(id, { topic, partitions, onDone }) {
  const topicIn = h('input', { test: 'produce-topic', value: topic || '', required: true, autocomplete: 'off' });
  const partSel = select([['', 'Any (by key)'], ...partitions.map((p) => [String(p), String(p)])], { test: 'produce-partition' });
  const keyIn = h('input', { test: 'produce-key', autocomplete: 'off' });
  const valueIn = h('textarea', { test: 'produce-value', rows: 8 });
  const headerRows = h('div', { class: 'header-rows', test: 'produce-headers' });
  const addHeader = () => {
    const n = h('input', { test: 'produce-header-name', placeholder: 'name', attrs: { 'aria-label': 'Header name' } });
    const v = h('input', { test: 'produce-header-value', placeholder: 'value', attrs: { 'aria-label': 'Header value' } });
    const row = h('div', { class: 'form-row header-row' }, n, v,
      h('button', { type: 'button', class: 'btn small', on: { click: () => row.remove() }, attrs: { 'aria-label': 'Remove header' } }, 'Remove'));
    headerRows.append(row);
    n.focus();
  };
  modal({
    title: 'Produce a message',
    test: 'produce-dialog',
    wide: true,
    body: h('form', { on: { submit: (e) => e.preventDefault() } },
      h('div', { class: 'grid2' }, field('Topic', topicIn), field('Partition', partSel)),
      field('Key', keyIn, 'Empty: no key'),
      h('div', { class: 'field' }, h('span', { class: 'label' }, 'Headers'), headerRows,
        h('div', null, h('button', { type: 'button', class: 'btn small', test: 'produce-add-header', on: { click: addHeader } }, 'Add header'))),
      field('Value', valueIn)),
    actions: [{
      label: 'Produce', kind: 'primary', test: 'produce-submit',
      onClick: async () => {
        // 5.5.1's property_list: KEY and PARTITION are the key and partition, any other name a header
        // (the handler's rule), so a header cannot be named like them.
        const props = [];
        if (keyIn.value !== '') props.push({ name: 'KEY', value: keyIn.value });
        if (partSel.value !== '') props.push({ name: 'PARTITION', value: partSel.value });
        for (const row of headerRows.querySelectorAll('.header-row')) {
          const [n, v] = row.querySelectorAll('input');
          const name = n.value.trim();
          if (!name) continue;
          if (/^(key|partition)$/i.test(name)) throw new Error(`A header cannot be named ${name}: KEY and PARTITION set the key and the partition.`);
          props.push({ name, value: v.value });
        }
        const res = await api.post(`${base(id)}/messages/action`, { topic: topicIn.value.trim(), body: valueIn.value, property_list: props }, { action_id: 'send' });
        toast(`Produced to ${res.topic || topicIn.value.trim()} partition ${res.partition} at offset ${res.message_offset}`);
        onDone(res);
      },
    }],
  });
  setTimeout(() => (topic ? valueIn : topicIn).focus());
}

// ---- the page -------------------------------------------------------------------------------------

async function messagesPage({ id }, query) {
  const st = {
    topic: query.topic || '',
    partition: query.partition ?? '',
    seek: SEEKS.some(([k]) => k === query.seek) ? query.seek : 'newest',
    offset: query.offset ?? '',
    from: query.from ?? '',
    to: query.to ?? '',
    order: query.order === 'asc' ? 'asc' : 'desc',
    keyword: query.keyword || '',
    limit: LIMITS.includes(query.limit) ? query.limit : '20',
    page: Math.max(1, Number(query.page) || 1),
  };
  let partitions = []; // partition numbers of the topic (5.5.6)
  let seq = 0;
  let lastSig = '';

  const topicIn = h('input', { id: 'mb-topic', test: 'mb-topic', value: st.topic, autocomplete: 'off', attrs: { list: 'mb-topics' }, placeholder: 'Topic name' });
  const topicList = h('datalist', { id: 'mb-topics' });
  const partSel = select([['', 'All']], { test: 'mb-partition' });
  const seekSel = select(SEEKS, { test: 'mb-seek', value: st.seek });
  const offsetIn = h('input', { type: 'number', min: 0, step: 1, test: 'mb-offset', value: st.offset });
  const fromIn = h('input', { type: 'datetime-local', step: 1, test: 'mb-from', value: toLocalInput(st.from) });
  const toIn = h('input', { type: 'datetime-local', step: 1, test: 'mb-to', value: toLocalInput(st.to) });
  const orderSel = select([['desc', 'Newest first'], ['asc', 'Oldest first']], { test: 'mb-order', value: st.order });
  const keywordIn = h('input', { type: 'search', test: 'mb-keyword', value: st.keyword, maxlength: MAX_KEYWORD, placeholder: 'In key or value' });
  const limitSel = select(LIMITS, { test: 'mb-limit', value: st.limit });
  const auto = h('input', { type: 'checkbox', id: 'mb-auto', test: 'mb-auto', checked: true });

  const autoField = h('div', { class: 'field inline' }, auto, h('label', { for: 'mb-auto' }, 'Refresh the newest records every 5 s'));
  const offsetField = field('Offset', offsetIn);
  const fromField = field('From', fromIn);
  const toField = field('To', toIn);
  const orderField = field('Order', orderSel);
  const keywordField = field('Keyword', keywordIn);
  const partInfo = h('p', { class: 'muted', test: 'mb-partition-info' });
  const status = h('p', { class: 'muted', test: 'mb-status', attrs: { 'aria-live': 'polite' } });
  const results = h('div', { test: 'mb-results' });
  const prev = h('button', { type: 'button', class: 'btn small', test: 'mb-prev' }, '‹ Prev');
  const next = h('button', { type: 'button', class: 'btn small', test: 'mb-next' }, 'Next ›');
  const pager = h('div', { class: 'pager' }, prev, next);

  function showFields() {
    const s = seekSel.value;
    offsetField.hidden = s !== 'offset';
    fromField.hidden = s !== 'time';
    toField.hidden = s !== 'time';
    orderField.hidden = s !== 'time';
    keywordField.hidden = s === 'offset';
    autoField.hidden = s !== 'newest';
  }
  seekSel.addEventListener('change', showFields);
  showFields();

  function readForm() {
    st.topic = topicIn.value.trim();
    st.partition = partSel.value;
    st.seek = seekSel.value;
    st.offset = offsetIn.value.trim();
    st.from = fromLocalInput(fromIn.value);
    st.to = fromLocalInput(toIn.value);
    st.order = orderSel.value;
    st.keyword = keywordIn.value;
    st.limit = limitSel.value;
  }

  // The state goes to the address (without a reload: replaceState fires no hashchange), so the
  // page can be bookmarked and shared.
  function writeHash() {
    const q = new URLSearchParams();
    const put = (k, v) => {
      if (v !== '' && v !== undefined && v !== null) q.set(k, String(v));
    };
    put('topic', st.topic);
    put('partition', st.partition);
    if (st.seek !== 'newest') put('seek', st.seek);
    if (st.seek === 'offset') put('offset', st.offset);
    if (st.seek === 'time') {
      put('from', st.from);
      put('to', st.to);
      if (st.order === 'asc') put('order', 'asc');
    }
    if (st.seek !== 'offset') put('keyword', st.keyword);
    if (st.limit !== '20') put('limit', st.limit);
    if (st.page > 1) put('page', st.page);
    history.replaceState(null, '', `#/instances/${enc(id)}/messages?${q.toString()}`);
  }

  async function loadTopics() {
    const res = await api.get(`${base(id)}/topics`, { offset: 0, limit: 200 });
    mount(topicList, (res.topics || []).map((t) => h('option', { value: t.name })));
  }

  // loadPartitions fills the partition choice from 5.5.6 (with each partition's offsets) and,
  // for one partition, tells its first and last messages (5.8.4, 5.8.5).
  // partSeq orders the partition reads (a topic change, a search, a partition choice): only the
  // newest one's answer is shown.
  let partSeq = 0;
  async function loadPartitions() {
    const my = ++partSeq;
    const topic = topicIn.value.trim();
    if (!topic) {
      partitions = [];
      mount(partSel, h('option', { value: '' }, 'All'));
      mount(partInfo);
      return;
    }
    const want = st.partition;
    const res = await api.get(`/v2/${P()}/kafka/instances/${enc(id)}/topics/${enc(topic)}/partitions`);
    if (my !== partSeq) return;
    const ps = (res.partitions || []).slice().sort((a, b) => a.partition - b.partition);
    partitions = ps.map((p) => p.partition);
    mount(partSel, h('option', { value: '' }, 'All'),
      ps.map((p) => h('option', { value: String(p.partition) }, p.last_offset > p.start_offset
        ? `${p.partition} (offsets ${fmtNum(p.start_offset)}–${fmtNum(p.last_offset - 1)})`
        : `${p.partition} (empty)`)));
    partSel.value = partitions.includes(Number(want)) && want !== '' ? String(want) : '';
    await partitionInfo(ps, my);
  }

  async function partitionInfo(ps, my) {
    const p = partSel.value;
    const topic = topicIn.value.trim();
    if (p === '') {
      const total = ps.reduce((n, x) => n + Number(x.message_count || 0), 0);
      partInfo.textContent = `${topic}: ${fmtNum(ps.length)} partition${ps.length === 1 ? '' : 's'}, ${fmtNum(total)} message${total === 1 ? '' : 's'}.`;
      return;
    }
    const path = `${base(id)}/management/topics/${enc(topic)}/partitions/${enc(p)}`;
    const [first, last] = await Promise.all([api.get(`${path}/beginning-message`), api.get(`${path}/end-message`)]);
    if (my !== partSeq) return;
    partInfo.textContent = first.offset < 0
      ? `Partition ${p} holds no message.`
      : `Partition ${p}: first message at offset ${fmtNum(first.offset)} (${fmtTime(first.timestamp)}), last at offset ${fmtNum(last.offset)} (${fmtTime(last.timestamp)}).`;
  }

  topicIn.addEventListener('change', () => {
    st.partition = '';
    loadPartitions().catch((e) => mount(partInfo, errorBox(e)));
  });
  partSel.addEventListener('change', () => {
    st.partition = partSel.value;
    const my = ++partSeq;
    api.get(`/v2/${P()}/kafka/instances/${enc(id)}/topics/${enc(topicIn.value.trim())}/partitions`)
      .then((res) => (my === partSeq ? partitionInfo(res.partitions || [], my) : null))
      .catch((e) => mount(partInfo, errorBox(e)));
  });

  // searchPage is one page of 5.8.1's offset search (newest, oldest, time range).
  async function searchPage() {
    const q = { topic: st.topic, limit: st.limit, offset: st.page, keyword: st.keyword || undefined };
    if (st.partition !== '') q.partition = st.partition;
    if (st.seek === 'oldest') q.asc = true;
    if (st.seek === 'time') {
      if (st.from === '' && st.to === '') throw new Error('Give the start or the end of the time range.');
      q.start_time = st.from === '' ? 0 : st.from;
      if (st.to !== '') q.end_time = st.to;
      if (st.order === 'asc') q.asc = true;
    }
    const res = await api.get(`${base(id)}/messages`, q);
    const msgs = res.messages || [];
    const from = msgs.length ? (st.page - 1) * Number(st.limit) + 1 : 0;
    let text = msgs.length
      ? `Records ${fmtNum(from)}–${fmtNum(from + msgs.length - 1)} of ${fmtNum(res.total)}${st.keyword ? ' matching' : ''} · page ${fmtNum(st.page)} of ${fmtNum(res.pages)}`
      : (st.keyword ? 'No record matches.' : 'No record in this range.');
    if (res.truncated && res.scan) {
      text += ` · The search stopped at its ${res.scan.stopped_by} bound after ${fmtNum(res.scan.records)} records: these are from the part it read.`;
    }
    return { msgs, text, hasPrev: st.page > 1, hasNext: st.page < Number(res.pages || 0) };
  }

  // offsetPage reads limit records from an offset of one partition, one 5.8.1 content-mode call
  // each (in order: the query slots of the server are few), up to the partition's end.
  async function offsetPage() {
    if (st.partition === '') throw new Error('Choose a partition to read from an offset.');
    if (st.offset === '' || !/^\d+$/.test(st.offset)) throw new Error('Give the offset to start from (a number from 0).');
    const start = Number(st.offset);
    const msgs = [];
    let stop = '';
    for (let o = start; o < start + Number(st.limit); o++) {
      try {
        const res = await api.get(`${base(id)}/messages`, { topic: st.topic, partition: st.partition, message_offset: o });
        msgs.push(...(res.messages || []));
      } catch (e) {
        if (o === start) throw e; // the first offset is out of range: say why
        stop = ' · end of the partition';
        break;
      }
    }
    const text = msgs.length
      ? `Partition ${st.partition}, offsets ${fmtNum(start)}–${fmtNum(msgs[msgs.length - 1].message_offset)}${stop}`
      : `No message at offsets from ${fmtNum(start)} (compacted away or transaction markers).`;
    return { msgs, text, hasPrev: start > 0, hasNext: !stop };
  }

  // A refresh (quiet) never starts while a search runs: it would win over it (the newest call
  // wins) and, finding the records shown before the search, leave the search's spinner up.
  let running = 0;
  async function run(opts = {}) {
    if (opts.quiet && running) return;
    running++;
    try {
      await runOnce(opts);
    } finally {
      running--;
    }
  }

  async function runOnce({ quiet = false } = {}) {
    const my = ++seq;
    if (!st.topic) {
      mount(results, h('p', { class: 'muted', test: 'mb-empty' }, 'Choose a topic.'));
      status.textContent = '';
      pager.hidden = true;
      return;
    }
    if (!quiet) {
      mount(results, spinner('Reading records…'));
      status.textContent = '';
      pager.hidden = true;
    }
    let out;
    try {
      out = st.seek === 'offset' ? await offsetPage() : await searchPage();
    } catch (e) {
      if (my !== seq) return;
      if (!quiet) {
        mount(results, errorBox(e));
        status.textContent = '';
      }
      return;
    }
    if (my !== seq) return; // a newer search won
    // A refresh that finds the same records leaves the page as it is (selection, scroll).
    const sig = `${out.text}|${out.msgs.map((m) => `${m.partition}:${m.message_offset}`).join(',')}`;
    if (quiet && sig === lastSig) return;
    lastSig = sig;
    status.textContent = out.text;
    mount(results, out.msgs.length ? recordsTable(id, out.msgs) : null);
    prev.disabled = !out.hasPrev;
    next.disabled = !out.hasNext;
    pager.hidden = !(out.hasPrev || out.hasNext);
  }

  function search(resetPage = true) {
    readForm();
    if (resetPage) st.page = 1;
    writeHash();
    // The partitions' offsets and counts change as records come: told again with each search.
    loadPartitions().catch((e) => mount(partInfo, errorBox(e)));
    return run();
  }

  prev.addEventListener('click', () => {
    if (st.seek === 'offset') {
      offsetIn.value = String(Math.max(0, Number(st.offset) - Number(st.limit)));
    } else {
      st.page = Math.max(1, st.page - 1);
    }
    search(false);
  });
  next.addEventListener('click', () => {
    if (st.seek === 'offset') {
      offsetIn.value = String(Number(st.offset) + Number(st.limit));
    } else {
      st.page += 1;
    }
    search(false);
  });

  const form = h('form', { class: 'panel mb-form', test: 'mb-form', on: { submit: (e) => { e.preventDefault(); search(); } } },
    h('div', { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: 'mb-topic' }, 'Topic'), topicIn, topicList),
      field('Partition', partSel),
      field('Start', seekSel),
      offsetField, fromField, toField, orderField, keywordField,
      field('Per page', limitSel),
      h('button', { type: 'submit', class: 'btn primary', test: 'mb-search' }, 'Search')),
    autoField);

  // Refresh only where it is cheap and expected: the first page of the newest records, unfiltered.
  poll(() => {
    if (auto.checked && st.topic && st.seek === 'newest' && st.page === 1 && !st.keyword) return run({ quiet: true });
    return undefined;
  });

  // The topic choice, its partitions and the first page load at once.
  loadTopics().catch(() => {}); // only the suggestions
  loadPartitions().catch((e) => mount(partInfo, errorBox(e)));
  run();

  const produce = button('Produce message', () => produceDialog(id, {
    topic: topicIn.value.trim(),
    partitions,
    onDone: (res) => {
      if (res && res.topic === st.topic) run({ quiet: false });
    },
  }), { kind: 'primary', test: 'mb-produce', action: MODIFY });

  return page('Messages', [produce],
    instanceNav(id, 'messages'),
    form,
    partInfo,
    status,
    results,
    pager);
}

export const routes = [
  { path: '/instances/:id/messages', title: 'Messages', render: messagesPage },
];
