// The audit log: who did what, from where, and how it ended, newest first; by event and by
// user, a page at a time (Roadside's /audit-log, the audit stream's records).
import {api} from '../api.js';
import {errorBox, h, show, table, when} from '../dom.js';

const PAGE = 50;

// A record's details (X-Road's "data"), as "name: value" lines.
function details(data) {
  if (!data || typeof data !== 'object') return '';
  return h(
      'span', {class: 'details'},
      Object.entries(data).map(([k, v]) => h('span', {}, `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)));
}

export async function render(main, session, filters = {}) {
  const query = new URLSearchParams({limit: String(PAGE)});
  if (filters.event) query.set('event', filters.event);
  if (filters.user) query.set('user', filters.user);
  if (filters.before) query.set('before_id', filters.before);
  // (A filter the API refuses is said beside the form, which stays for another try.)
  let records = [], problem = null;
  try {
    records = await api('GET', `/audit-log?${query}`);
  } catch (error) {
    problem = errorBox(error);
  }
  const event = h('input', {id: 'audit-event', value: filters.event || '', autocomplete: 'off'});
  const user = h('input', {id: 'audit-user', value: filters.user || '', autocomplete: 'off'});
  const older = records.length === PAGE ? records[records.length - 1].id : null;
  show(
      main, h('h1', {}, 'Audit log'),
      h('form', {
        role: 'search',
        class: 'filters',
        onsubmit: event_ => {
          event_.preventDefault();
          render(main, session, {event: event.value.trim(), user: user.value.trim()});
        }
      },
        h('div', {}, h('label', {'for': 'audit-event'}, 'Event (exactly, as "Add client")'), event),
        h('div', {}, h('label', {'for': 'audit-user'}, 'User'), user),
        h('div', {}, h('button', {type: 'submit', id: 'audit-filter'}, 'Show'))),
      problem,
      table(
          'Audit records, newest first',
          [
            {label: 'Time', cell: r => when(r.time)},
            {label: 'Event', cell: r => r.event},
            {label: 'User', cell: r => r.user},
            {label: 'How', cell: r => [r.auth, r.ipaddress].filter(Boolean).join(' from ')},
            {label: 'Outcome', cell: r => (r.reason ? h('span', {class: 'bad'}, `failed: ${r.reason}`) : 'done')},
            {label: 'Details', cell: r => details(r.data)},
          ],
          records, 'No audit records.'),
      older ? h('p', {},
                h('button', {
                  type: 'button',
                  class: 'secondary',
                  id: 'audit-older',
                  onclick: () => render(main, session, {...filters, before: older})
                },
                  'Older records')) :
              null);
}
