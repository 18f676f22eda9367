// api.js: the console's only way to the server. It calls the same public DMS API as the SDKs, with the
// token of the sign-in in the X-Auth-Token header. The token lives in this module's memory only: no
// cookie (so no CSRF), no localStorage (so no other script or a later visitor reads it); a reload signs
// out.

/** ApiError is a failed call: the HTTP status and the DMS error code and message of the body. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

const session = {
  token: '',
  projectId: '',
  // Who signed in: {user:{id,name,domain_id,domain_name}, admin, project_id, instance_id?, actions:[...]}
  // from GET /opendms/v1/whoami.
  who: null,
  actions: new Set(),
  expiresAt: '',
};

const listeners = new Set();

/** onSessionChange registers fn(session) to run after sign-in and sign-out. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(session);
}

/** P is the project id of the session, for API paths: `/v2/${P()}/instances`. */
export function P() {
  return session.projectId;
}

export function signedIn() {
  return session.token !== '';
}

export function whoami() {
  return session.who;
}

/** scopedInstance is the instance a Kafka Manager sign-in is limited to, or ''. */
export function scopedInstance() {
  return (session.who && session.who.instance_id) || '';
}

/** can reports whether the caller's policies allow an IAM action (e.g. "dms:instance:modify"). */
export function can(action) {
  return session.actions.has(action);
}

export function isAdmin() {
  return !!(session.who && session.who.admin);
}

async function request(method, path, body, query, opts = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers = { Accept: 'application/json' };
  if (session.token) headers['X-Auth-Token'] = session.token;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `The server cannot be reached: ${e.message}`);
  }
  if (opts.raw) {
    if (!resp.ok) {
      const err = await errorOf(resp);
      // A download refused for an ended token signs out as every other call does.
      if (resp.status === 401 && session.token && !opts.noSignOut) signOut(err);
      throw err;
    }
    return resp;
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!resp.ok) {
    if (resp.status === 401 && session.token && !opts.noSignOut) {
      // The token expired or was revoked (a password reset, a Kafka Manager restart): sign out so
      // the login page shows, with the reason.
      const err = errorFrom(resp.status, data);
      signOut(err);
      throw err;
    }
    throw errorFrom(resp.status, data);
  }
  if (opts.withHeaders) return { data, headers: resp.headers };
  return data;
}

async function errorOf(resp) {
  const text = await resp.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON
  }
  return errorFrom(resp.status, data);
}

function errorFrom(status, data) {
  if (data && typeof data === 'object') {
    const code = data.error_code || data.code || (data.error && data.error.code) || '';
    const msg = data.error_msg || data.message || (data.error && data.error.message) || '';
    return new ApiError(status, String(code), String(msg || `HTTP ${status}`));
  }
  return new ApiError(status, '', typeof data === 'string' && data ? data.slice(0, 300) : `HTTP ${status}`);
}

export const api = {
  get: (path, query, opts) => request('GET', path, null, query, opts),
  post: (path, body, query, opts) => request('POST', path, body, query, opts),
  put: (path, body, query, opts) => request('PUT', path, body, query, opts),
  del: (path, body, query, opts) => request('DELETE', path, body, query, opts),
  patch: (path, body, query, opts) => request('PATCH', path, body, query, opts),
  /** raw returns the fetch Response (for downloads: blobs, text files). */
  raw: (method, path, query) => request(method, path, null, query, { raw: true }),
};

/** health is GET /healthz (no token): the server's region, the default project name. */
export function health() {
  return request('GET', '/healthz', null, null, { noSignOut: true });
}

async function loadWho() {
  const who = await request('GET', '/opendms/v1/whoami', null, { project_id: session.projectId });
  session.who = who;
  session.actions = new Set(who.actions || []);
  if (who.project_id) session.projectId = who.project_id;
}

/** signIn signs in an IAM user with a password, scoped to a project (POST /v3/auth/tokens). */
export async function signIn({ domain, user, password, project }) {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: domain } } } },
      scope: { project: { name: project } },
    },
  };
  const { data, headers } = await request('POST', '/v3/auth/tokens', body, null, { withHeaders: true, noSignOut: true });
  await startSession(headers.get('X-Subject-Token'), data.token.project.id, data.token.expires_at);
}

/** signInManager signs in with an instance's Kafka Manager user: a token scoped to that instance. */
export async function signInManager({ instanceId, user, password }) {
  const { data, headers } = await request('POST', '/opendms/v1/kafka-manager/tokens',
    { instance_id: instanceId, user, password }, null, { withHeaders: true, noSignOut: true });
  await startSession(headers.get('X-Subject-Token'), data.token.project.id, data.token.expires_at);
}

async function startSession(token, projectId, expiresAt) {
  if (!token) throw new ApiError(500, '', 'The server issued no token.');
  session.token = token;
  session.projectId = projectId;
  session.expiresAt = expiresAt || '';
  try {
    await loadWho();
  } catch (e) {
    session.token = '';
    session.projectId = '';
    throw e;
  }
  changed();
}

/** signOut forgets the token; reason (an error) is shown on the login page. */
export function signOut(reason) {
  session.token = '';
  session.projectId = '';
  session.who = null;
  session.actions = new Set();
  session.signOutReason = reason || null;
  changed();
}

/** takeSignOutReason returns, once, why the session ended (a revoked or expired token). */
export function takeSignOutReason() {
  const r = session.signOutReason;
  session.signOutReason = null;
  return r;
}
