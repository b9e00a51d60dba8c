// The dashboard: what this server is, whether it takes messages (and every reason it does
// not), its traffic, whether it is set up, its certificates and their expiry, global
// configuration's age and time-stamping.
import {api, apiOrNull} from '../api.js';
import {badge, h, show, table, when} from '../dom.js';

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

// "3 min ago" from an RFC 3339 time.
function age(value) {
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (Number.isNaN(seconds)) return 'unknown age';
  if (seconds < 120) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function card(title, ...content) {
  return h(
      'section', {class: 'card', 'aria-labelledby': `card-${title}`}, h('h2', {id: `card-${title}`}, title), content);
}

export async function render(main, session) {
  const diagnostics = path => (session.can('diagnostics') ? apiOrNull(`/diagnostics/${path}`) : null);
  const [version, node, init, globalconf, tsas, tokens, readiness, traffic, stamping] = await Promise.all([
    api('GET', '/system/version'),
    api('GET', '/system/node-type'),
    apiOrNull('/initialization/status'),
    diagnostics('globalconf'),
    apiOrNull('/system/timestamping-services'),
    apiOrNull('/tokens'),
    diagnostics('readiness'),
    diagnostics('traffic'),
    diagnostics('timestamping-services'),
  ]);
  const cards = [card('Server', h('p', {}, version.info), h('p', {}, `Node: ${node.node_type.toLowerCase()}`))];
  if (readiness) {
    cards.push(card(
        'Readiness',
        h('p', {id: 'readiness'}, badge(readiness.ready ? 'OK' : 'FAIL'),
          readiness.ready ? ' Takes messages' : ' Takes no messages'),
        readiness.reasons.length ?
            h('ul', {}, readiness.reasons.map(r => h('li', {}, h('strong', {}, r.component), `: ${r.reason}`))) :
            null));
  }
  if (traffic) {
    cards.push(card(
        'Traffic', h('p', {}, `Since ${when(traffic.since)}`),
        h('p', {}, `Sent: ${traffic.client_proxy.ok} (${traffic.client_proxy.fault} failed)`),
        h('p', {}, `Received: ${traffic.server_proxy.ok} (${traffic.server_proxy.fault} failed)`)));
  }
  if (init) {
    const done = init.is_anchor_imported && init.is_server_code_initialized && init.is_server_owner_initialized;
    cards.push(
        card('Initialization', h('p', {class: done ? 'ok' : 'warn'}, done ? 'Initialized' : 'Not initialized yet')));
  }
  if (globalconf) {
    cards.push(card(
        'Global configuration', h('p', {}, badge(globalconf.status_class)),
        h('p', {}, `Last update: ${when(globalconf.prev_update_at)} (${age(globalconf.prev_update_at)})`),
        h('p', {}, `Next update: ${when(globalconf.next_update_at)}`),
        globalconf.error ? h('p', {class: 'bad'}, globalconf.error.code) : null));
  }
  if (tsas) {
    const status = url => (stamping || []).find(t => t.url === url);
    cards.push(card(
        'Time-stamping',
        tsas.length ?
            h('ul', {},
              tsas.map(
                  t =>
                      h('li', {}, `${t.name} (${t.url}) `, status(t.url) ? badge(status(t.url).status_class) : null,
                        status(t.url) && status(t.url).status_class === 'OK' ?
                            ` last ${when(status(t.url).prev_update_at)}` :
                            null))) :
            h('p', {class: 'warn'}, 'No time-stamping service configured')));
  }
  const certs = certificates(tokens);
  show(
      main, h('h1', {}, 'Dashboard'), h('div', {class: 'cards'}, cards), h('h2', {}, 'Certificates'),
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
