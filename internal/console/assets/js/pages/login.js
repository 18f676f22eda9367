// Sign-in pages: an IAM user with a password (POST /v3/auth/tokens, scoped to a project), or an
// instance's Kafka Manager user (a token scoped to that one instance, as CMAK's login was).

import { signIn, signInManager, health, takeSignOutReason } from '../api.js';
import { h, mount, field, errorBox } from '../ui.js';

function loginForm({ title, intro, fields, submit, test }) {
  const errHost = h('div');
  const reason = takeSignOutReason();
  if (reason) mount(errHost, errorBox(reason));
  const btn = h('button', { type: 'submit', class: 'btn primary', test: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'login', test, attrs: { novalidate: true, method: 'post' } },
    h('h1', null, title),
    intro ? h('p', { class: 'muted' }, intro) : null,
    fields.map(([label, input, hint]) => field(label, input, hint)),
    errHost,
    btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(errHost);
    btn.disabled = true;
    try {
      await submit();
    } catch (err) {
      mount(errHost, errorBox(err));
    } finally {
      btn.disabled = false;
    }
  });
  setTimeout(() => {
    const first = form.querySelector('input:not([value]), input[value=""]') || form.querySelector('input');
    if (first) first.focus();
  });
  return h('section', { class: 'page narrow' }, form);
}

async function iamLogin() {
  const domain = h('input', { name: 'domain', autocomplete: 'organization', required: true, test: 'login-domain' });
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, test: 'login-user' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, test: 'login-password' });
  const project = h('input', { name: 'project', test: 'login-project' });
  try {
    const hz = await health();
    if (hz && hz.region) project.value = hz.region;
  } catch {
    // the field stays empty; the user types the project
  }
  return loginForm({
    title: 'Sign in to OpenDMS',
    intro: 'Sign in with an IAM user of your account.',
    test: 'login-form',
    fields: [
      ['Account (domain)', domain],
      ['User', user],
      ['Password', password],
      ['Project', project, 'The region name unless your account has other projects.'],
    ],
    submit: () => signIn({ domain: domain.value.trim(), user: user.value.trim(), password: password.value, project: project.value.trim() }),
  });
}

async function managerLogin({ id }) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, test: 'login-user' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, test: 'login-password' });
  return loginForm({
    title: 'Kafka Manager',
    intro: `Sign in with the Kafka Manager user of instance ${id}. This sign-in sees that instance only.`,
    test: 'km-login-form',
    fields: [['User', user, 'The kafka_manager_user given at creation, else admin.'], ['Password', password]],
    submit: () => signInManager({ instanceId: id, user: user.value.trim(), password: password.value }),
  });
}

export const routes = [
  { path: '/login', title: 'Sign in', render: iamLogin },
  { path: '/km/:id', title: 'Kafka Manager sign in', render: managerLogin },
];
