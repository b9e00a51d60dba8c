// The message log: a query id's records (a request and its response, each side's), and each
// time-stamped record's signed documents as an ASiC-E container, as the client proxy's /asic
// gives them.
import {api, download} from '../api.js';
import {announce, badge, errorBox, h, show, table, when} from '../dom.js';

export async function render(main, session) {
  const results = h('div', {id: 'message-results'});
  const input = h('input', {id: 'query-id', name: 'query_id', required: true, maxlength: 255, autocomplete: 'off'});
  const search = async event => {
    if (event) event.preventDefault();
    const queryId = input.value.trim();
    results.replaceChildren(h('p', {class: 'loading'}, 'Searching…'));
    try {
      const found = await api('GET', `/message-log/messages?${new URLSearchParams({query_id: queryId})}`);
      const box = h('div', {});
      const canDownload = session.can('download_message_container');
      results.replaceChildren(box, table(`Records of ${queryId}`, [
        {label: 'Logged', cell: m => when(m.time)},
        {label: 'Direction', cell: m => m.direction.toLowerCase()},
        {label: 'Client (owner)', cell: m => m.client_id},
        {label: 'Time-stamp', cell: m => badge(m.timestamped ? 'OK' : 'WAITING')},
        {label: 'Body', cell: m => (m.body_logged ? 'logged' : 'metadata only')},
        canDownload ? {label: 'Container', cell: m => m.timestamped ? h('button', {
          type: 'button', class: 'secondary', 'data-record': m.id,
          'aria-label': `Download the ${m.direction.toLowerCase()}'s container`,
          onclick: async () => {
            box.replaceChildren();
            try {
              await download(`/message-log/messages/${encodeURIComponent(m.id)}/container`,
                `${m.query_id}-${m.direction.toLowerCase()}-${m.id}.asice`);
              announce('Container downloaded');
            } catch (error) {
              box.replaceChildren(errorBox(error));
            }
          }
        }, 'Download ASiC') : h('span', {class: 'muted'}, 'after its time-stamp')} : null,
      ].filter(Boolean), found, 'No record of this query id (an archived one is in the archive files).'));
    } catch (error) {
      results.replaceChildren(errorBox(error));
    }
  };
  show(
      main, h('h1', {}, 'Message log'),
      h('form', {onsubmit: search, role: 'search'},
        h('label', {'for': 'query-id'}, 'Query id (X-Road-Id, or the SOAP header\'s id)'), input,
        h('p', {}, h('button', {type: 'submit', id: 'message-search'}, 'Search'))),
      results);
  input.focus();
}
