// The dashboard: what this server is, whether it is set up, its certificates and their
// expiry, global configuration and time-stamping.
import {api, apiOrNull} from '../api.js';
import {badge, h, table, when} from '../dom.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// Each certificate of each key of each token, with what the dashboard shows of it.
function certificates(tokens) {
  const out = [];
  for (const token of tokens || []) {
    for (const key of token.keys || []) {
      for (const cert of key.certificates || []) {
        const details = cert.certificate_details || {};
        out.push({
          token: token.name,
          usage: key.usage,
          subject: details.subject_common_name,
          status: cert.status,
          ocsp: cert.ocsp_status,
          notAfter: details.not_after
        });
      }
    }
  }
  return out;
}

function expiry(notAfter) {
  const left = (new Date(notAfter).getTime() - Date.now()) / DAY_MS;
  if (Number.isNaN(left)) return h('span', {}, '–');
  const days = Math.floor(left);
  const text = `${when(notAfter)} (${days < 0 ? 'expired' : `${days} days left`})`;
  return h('span', {class: days < 0 ? 'bad' : days < 30 ? 'warn' : 'ok'}, text);
}

function card(title, ...content) {
  return h(
      'section', {class: 'card', 'aria-labelledby': `card-${title}`}, h('h2', {id: `card-${title}`}, title), content);
}

export async function render(main, session) {
  const [version, node, init, globalconf, tsas, tokens] = await Promise.all([
    api('GET', '/system/version'),
    api('GET', '/system/node-type'),
    apiOrNull('/initialization/status'),
    session.can('diagnostics') ? apiOrNull('/diagnostics/globalconf') : null,
    apiOrNull('/system/timestamping-services'),
    apiOrNull('/tokens'),
  ]);
  const cards = [card('Server', h('p', {}, version.info), h('p', {}, `Node: ${node.node_type.toLowerCase()}`))];
  if (init) {
    const done = init.is_anchor_imported && init.is_server_code_initialized && init.is_server_owner_initialized;
    cards.push(
        card('Initialization', h('p', {class: done ? 'ok' : 'warn'}, done ? 'Initialized' : 'Not initialized yet')));
  }
  if (globalconf) {
    cards.push(card(
        'Global configuration', h('p', {}, badge(globalconf.status_class)),
        h('p', {}, `Last update: ${when(globalconf.prev_update_at)}`),
        h('p', {}, `Next update: ${when(globalconf.next_update_at)}`),
        globalconf.error ? h('p', {class: 'bad'}, globalconf.error.code) : null));
  }
  if (tsas) {
    cards.push(card(
        'Time-stamping',
        tsas.length ? h('ul', {}, tsas.map(t => h('li', {}, `${t.name} (${t.url})`))) :
                      h('p', {class: 'warn'}, 'No time-stamping service configured')));
  }
  const certs = certificates(tokens);
  main.replaceChildren(
      h('h1', {}, 'Dashboard'), h('div', {class: 'cards'}, cards), h('h2', {}, 'Certificates'),
      tokens ? table(
                   'Certificates of the server\'s keys and when they expire',
                   [
                     {label: 'Token', cell: c => c.token},
                     {label: 'Usage', cell: c => (c.usage || '').toLowerCase()},
                     {label: 'Subject', cell: c => c.subject},
                     {label: 'Status', cell: c => badge(c.status)},
                     {label: 'OCSP', cell: c => badge(c.ocsp)},
                     {label: 'Expires', cell: c => expiry(c.notAfter)},
                   ],
                   certs, 'No certificates yet.') :
               h('p', {class: 'muted'}, 'Certificates are not visible to your role.'));
}
