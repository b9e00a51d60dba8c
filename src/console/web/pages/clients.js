// Clients, their services and who may call them: the list of the server's members and
// subsystems (#/clients), and one client's service descriptions, services and access rights
// (#/clients/INSTANCE:CLASS:CODE[:SUBSYSTEM]).
import {api, clientId} from '../api.js';
import {act, badge, h, show, table, when} from '../dom.js';

const path = id => encodeURIComponent(id);

async function list(main, session) {
  const clients = await api('GET', '/clients');
  show(
      main, h('h1', {}, 'Clients'),
      table(
          'The members and subsystems this server hosts',
          [
            {label: 'Client', cell: c => h('a', {href: `#/clients/${path(clientId(c))}`}, clientId(c))},
            {label: 'Name', cell: c => c.member_name || ''},
            {label: 'Status', cell: c => badge(c.status)},
            {label: 'Owner', cell: c => (c.owner ? 'yes' : '')},
            {label: 'Connection', cell: c => c.connection_type || ''},
          ],
          clients, 'No clients yet: the onboarding wizard adds the first.'));
}

// One service's access rights: who may call it, and (with edit_service_acl) a form to add one.
async function rights(service, session, redraw) {
  const subjects = await api('GET', `/services/${path(service.id)}/service-clients`);
  const box = h('div', {});
  const inputId = `grant-${service.id}`;
  const canEdit = session.can('edit_service_acl');
  return h('div', {class: 'rights'},
    table(`Who may call ${service.full_service_code}`, [
      {label: 'Service client', cell: s => s.id},
      {label: 'Name', cell: s => s.name || ''},
      {label: 'Type', cell: s => (s.service_client_type || '').toLowerCase()},
      {label: 'Since', cell: s => when(s.rights_given_at)},
      canEdit ? {label: 'Actions', cell: s => h('button', {
        type: 'button', class: 'secondary', 'aria-label': `Remove ${s.id}'s access to ${service.full_service_code}`,
        onclick: act(box, 'Access removed',
          () => api('POST', `/services/${path(service.id)}/service-clients/delete`, {items: [{id: s.id}]}), redraw)
      }, 'Remove')} : null,
    ].filter(Boolean), subjects, 'Nobody may call it yet.'),
    canEdit ? h('form', {
      class: 'inline',
      onsubmit: act(box, 'Access granted', () => api('POST', `/services/${path(service.id)}/service-clients`, {
        items: [{id: document.getElementById(inputId).value.trim()}]
      }), redraw)
    }, h('label', {'for': inputId}, `Grant access to ${service.full_service_code} (a subsystem, as INSTANCE:CLASS:CODE:SUBSYSTEM)`),
      h('input', {id: inputId, required: true, autocomplete: 'off', 'data-service': service.full_service_code}),
      h('button', {type: 'submit', 'data-grant': service.full_service_code}, 'Grant')) : null,
    box);
}

function addDescriptionForm(id, session, redraw) {
  if (!session.can('add_wsdl') && !session.can('add_openapi3')) return null;
  const box = h('div', {});
  const type =
      h('select', {id: 'description-type'}, h('option', {value: 'REST'}, 'REST (a base URL)'),
        h('option', {value: 'OPENAPI3'}, 'OpenAPI 3 (a description URL)'), h('option', {value: 'WSDL'}, 'WSDL'));
  return h(
      'form', {
        onsubmit:
            act(box, 'Service description added',
                () => {
                  const body = {url: document.getElementById('description-url').value.trim(), type: type.value};
                  if (type.value !== 'WSDL')
                    body.rest_service_code = document.getElementById('description-code').value.trim();
                  return api('POST', `/clients/${path(id)}/service-descriptions`, body);
                },
                redraw)
      },
      h('h2', {}, 'Add a service description'), h('label', {'for': 'description-type'}, 'Type'), type,
      h('label', {'for': 'description-url'}, 'URL'),
      h('input', {id: 'description-url', required: true, autocomplete: 'off'}),
      h('label', {'for': 'description-code'}, 'Service code (REST and OpenAPI 3)'),
      h('input', {id: 'description-code', autocomplete: 'off'}), box,
      h('p', {}, h('button', {type: 'submit', id: 'description-add'}, 'Add')));
}

async function details(main, session, id) {
  const redraw = () => details(main, session, id);
  const [client, descriptions] = await Promise.all([
    api('GET', `/clients/${path(id)}`),
    session.can('view_client_services') ? api('GET', `/clients/${path(id)}/service-descriptions`) : [],
  ]);
  const sections = [];
  for (const d of descriptions) {
    const services = [];
    for (const s of d.services || []) {
      services.push(
          h('section', {class: 'service', id: `service-${s.full_service_code}`},
            h('h3', {}, s.full_service_code, ' ', h('span', {class: 'muted'}, s.url || '')),
            session.can('view_service_acl') ? await rights(s, session, redraw) : null));
    }
    sections.push(
        h('section', {class: 'card'}, h('h2', {}, `${d.type}: ${d.url}`),
          d.disabled ? h('p', {class: 'warn'}, `Disabled${d.disabled_notice ? ': ' + d.disabled_notice : ''}`) : null,
          services.length ? services : h('p', {class: 'muted'}, 'No services.')));
  }
  show(
      main, h('p', {}, h('a', {href: '#/clients'}, '← All clients')), h('h1', {}, id),
      h('p', {}, 'Status: ', badge(client.status), client.owner ? ' (the owner)' : ''), h('h2', {}, 'Services'),
      sections.length ? h('div', {}, sections) : h('p', {class: 'muted'}, 'No service descriptions.'),
      addDescriptionForm(id, session, redraw));
}

export async function render(main, session) {
  const id = decodeURIComponent(location.hash.replace(/^#\/clients\/?/, ''));
  if (id) return details(main, session, id);
  return list(main, session);
}
