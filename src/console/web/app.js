// The console: who is logged in, the pages they may see, and the login form.
import {api, whenLoggedOut} from './api.js';
import {errorBox, h} from './dom.js';
import * as audit from './pages/audit.js';
import * as backups from './pages/backups.js';
import * as clients from './pages/clients.js';
import * as dashboard from './pages/dashboard.js';
import * as diagnostics from './pages/diagnostics.js';
import * as messages from './pages/messages.js';
import * as onboarding from './pages/onboarding.js';

// Each page: its hash, its title in the navigation, the permission it needs to be listed
// (X-Road's; the API refuses the rest anyway) and its module (render(main, session)).
const PAGES = [
  {path: 'dashboard', title: 'Dashboard', permission: null, page: dashboard},
  {path: 'onboarding', title: 'Onboarding', permission: 'view_keys', page: onboarding},
  {path: 'clients', title: 'Clients', permission: 'view_clients', page: clients},
  {path: 'messages', title: 'Message log', permission: 'view_message_log', page: messages},
  {path: 'backups', title: 'Backups', permission: 'backup_configuration', page: backups},
  {path: 'audit', title: 'Audit log', permission: 'view_audit_log', page: audit},
  {path: 'diagnostics', title: 'Diagnostics', permission: 'diagnostics', page: diagnostics},
];

const session = {
  user: null,
  // Whether the user holds X-Road permission `name`: a control they may not use is not shown.
  can(name) { return !!this.user && this.user.permissions.includes(name); },
};

const main = document.getElementById('main');
const bar = document.querySelector('header.bar');

function visiblePages() { return PAGES.filter(p => !p.permission || session.can(p.permission)); }

function showNavigation(current) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...visiblePages().map(
      p => h('li', {}, h('a', {href: `#/${p.path}`, 'aria-current': p.path === current ? 'page' : false}, p.title))));
  document.getElementById('who').textContent =
      `${session.user.username} (${session.user.roles.map(roleName).join(', ')})`;
  bar.hidden = false;
}

function roleName(role) { return role.replace(/^XROAD_/, '').toLowerCase().replaceAll('_', ' '); }

async function route() {
  if (!session.user) return;
  const wanted = location.hash.replace(/^#\//, '').split('/')[0] || 'dashboard';
  const entry = visiblePages().find(p => p.path === wanted) || visiblePages()[0];
  showNavigation(entry.path);
  document.title = `${entry.title} – Roadside console`;
  main.replaceChildren(h('p', {class: 'loading'}, 'Loading…'));
  try {
    await entry.page.render(main, session);
  } catch (error) {
    main.replaceChildren(h('h1', {}, entry.title), errorBox(error));
  }
  main.focus();
}

function showLogin(message) {
  session.user = null;
  bar.hidden = true;
  document.title = 'Log in – Roadside console';
  const error = h('p', {class: 'error', role: 'alert', hidden: !message}, message || '');
  const username = h('input', {id: 'username', name: 'username', autocomplete: 'username'});
  const password = h('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password'});
  const key = h('input', {id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'off'});
  const form =
      h('form', {
        class: 'login',
        onsubmit: async event => {
          event.preventDefault();
          const body = key.value ? {api_key: key.value} : {username: username.value, password: password.value};
          try {
            session.user = await api('POST', '/login', body);
            password.value = '';
            key.value = '';
            await route();
          } catch (e) {
            error.textContent =
                e.status === 401 ? 'Wrong user name, password or API key.' : `Login failed: ${e.message}`;
            error.hidden = false;
          }
        }
      },
        h('h1', {}, 'Roadside console'),
        h('fieldset', {}, h('legend', {}, 'An administrator'), h('label', {'for': 'username'}, 'User name'), username,
          h('label', {'for': 'password'}, 'Password'), password),
        h('fieldset', {}, h('legend', {}, 'Or an API key'), h('label', {'for': 'api-key'}, 'API key'), key), error,
        h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'login'}, 'Log in')));
  main.replaceChildren(form);
  username.focus();
}

whenLoggedOut(() => showLogin('Your session has ended. Please log in again.'));
// Only the pages' hashes (#/name) route: another (the skip link's #main) moves within the page.
window.addEventListener('hashchange', () => {
  if (location.hash === '' || location.hash.startsWith('#/')) route();
});
document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/logout');
  } catch (_) { /* ended already */
  }
  showLogin('');
});

(async () => {
  try {
    session.user = await api('GET', '/user');
    await route();
  } catch (_) {
    showLogin('');
  }
})();
