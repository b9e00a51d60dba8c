// The onboarding wizard: from a fresh server to one that exchanges messages, in X-Road's order
// (anchor, owner and server code, token, time-stamping, keys and CSRs, certificates,
// registration, a subsystem). Each step says whether it is done, what it waits for, or what to
// do; a step opens once the steps before it are done. Only controls the user's permissions
// allow are shown.
import {api, apiOrNull, clientId, download} from '../api.js';
import {act, badge, errorBox, h, show} from '../dom.js';

const TOKEN = '0';        // the software token
const RECHECK_MS = 3000;  // how often a waiting step is looked at again
let recheck = null;

// What the steps are decided from.
async function facts() {
  const [init, tokens, configured, approved, clients] = await Promise.all([
    apiOrNull('/initialization/status'),
    apiOrNull('/tokens'),
    apiOrNull('/system/timestamping-services'),
    apiOrNull('/timestamping-services'),
    apiOrNull('/clients'),
  ]);
  const token = (tokens || []).find(t => String(t.id) === TOKEN) || null;
  const keys = token ? token.keys || [] : [];
  const ofUsage = usage => keys.filter(k => k.usage === usage);
  const certs = usage => ofUsage(usage).flatMap(k => (k.certificates || []));
  const csrs = usage => ofUsage(usage).flatMap(k => (k.certificate_signing_requests || []).map(csr => ({key: k, csr})));
  const owner = (clients || []).find(c => c.owner) || null;
  return {init, token, configured, approved, clients: clients || [], owner, certs, csrs};
}

function field(id, label, attributes = {}) {
  return [h('label', {'for': id}, label), h('input', {id, name: id, ...attributes})];
}

const value = id => document.getElementById(id).value.trim();

// A step's state with a line of text.
const note = (state, ...text) => ({state, body: [h('p', {}, ...text)]});

// A step's form: its controls, where its error shows, and its submit button.
function form(onsubmit, box, buttonId, buttonText, ...controls) {
  return h('form', {onsubmit}, controls, box, h('p', {}, h('button', {type: 'submit', id: buttonId}, buttonText)));
}

// A step to do with a form that runs `work`, announces `label` and draws the wizard again.
function formStep(label, work, redraw, buttonId, buttonText, ...controls) {
  const box = h('div', {});
  return {state: 'todo', body: [form(act(box, label, work, redraw), box, buttonId, buttonText, ...controls)]};
}

// A step to do with one button (of class `buttonClass`, when given) after `before`.
function buttonStep(before, label, work, redraw, buttonId, buttonText, buttonClass) {
  const box = h('div', {});
  const button = h(
      'button', {type: 'button', id: buttonId, class: buttonClass, onclick: act(box, label, work, redraw)}, buttonText);
  return {state: 'todo', body: [before, box, h('p', {}, button)]};
}

// The work of an upload form: the file chosen in `inputId` posted to `path` as it is.
const upload = (inputId, path, what) => async () => {
  const file = document.getElementById(inputId).files[0];
  if (!file) throw new Error(`choose the ${what} file first`);
  await api('POST', path, await file.arrayBuffer(), {raw: true});
};

function anchorStep(f, can, redraw) {
  if (f.init && f.init.is_anchor_imported) return note('done', 'The configuration anchor is in place.');
  if (!can('init_config')) return note('todo', 'A system administrator uploads the anchor.');
  return formStep(
      'Anchor uploaded', upload('anchor-file', '/system/anchor', 'anchor'), redraw, 'anchor-upload',
      'Upload the anchor',
      field('anchor-file', 'Configuration anchor (XML from the Central Server)', {type: 'file', accept: '.xml'}));
}

function initStep(f, can, redraw) {
  const i = f.init || {};
  if (i.is_server_owner_initialized && i.is_server_code_initialized && i.software_token_init_status === 'INITIALIZED') {
    return note('done', `Initialized: owned by ${f.owner ? clientId(f.owner) : 'the owner'}.`);
  }
  if (!can('init_config')) return note('todo', 'A system administrator initializes the server.');
  const box = h('div', {});
  let ignoreWarnings = false;
  const pin = id => document.getElementById(id).value;
  const submit =
      act(box, 'Server initialized',
          () => {
            if (pin('init-pin') !== pin('init-pin-again')) throw new Error('the two PINs differ');
            return api('POST', '/initialization', {
              owner_member_class: value('init-member-class'),
              owner_member_code: value('init-member-code'),
              security_server_code: value('init-server-code'),
              software_token_pin: pin('init-pin'),
              ignore_warnings: ignoreWarnings,
            });
          },
          redraw,
          (error, target) => {
            // X-Road's warnings (an owner not registered yet, a server code in use): shown, and the
            // user may go on anyway.
            if (error.code !== 'warnings_detected') return;
            target.append(
                h('button', {
                  type: 'button',
                  id: 'init-anyway',
                  class: 'secondary',
                  onclick: () => {
                    ignoreWarnings = true;
                    submit();
                  }
                },
                  'Initialize anyway'));
          });
  return {
    state: 'todo',
    body: [form(
        submit, box, 'init-submit', 'Initialize',
        field('init-member-class', 'Owner member class', {required: true, autocomplete: 'off'}),
        field('init-member-code', 'Owner member code', {required: true, autocomplete: 'off'}),
        field('init-server-code', 'Security server code', {required: true, autocomplete: 'off'}),
        field('init-pin', 'Software token PIN', {type: 'password', required: true, autocomplete: 'new-password'}),
        field('init-pin-again', 'The PIN again', {type: 'password', required: true, autocomplete: 'new-password'}))]
  };
}

function tokenStep(f, can, redraw) {
  if (f.token && f.token.logged_in) return note('done', 'The software token is logged in.');
  if (!can('activate_deactivate_token')) return note('todo', 'A security officer logs the token in.');
  return formStep(
      'Token logged in',
      () => api('PUT', `/tokens/${TOKEN}/login`, {password: document.getElementById('token-pin').value}), redraw,
      'token-login', 'Log in to the token',
      field('token-pin', 'Software token PIN', {type: 'password', required: true, autocomplete: 'off'}));
}

function timestampingStep(f, can, redraw) {
  if (f.configured && f.configured.length)
    return note('done', `Time-stamped by ${f.configured.map(t => t.name).join(', ')}.`);
  if (!can('add_tsp')) return note('todo', 'A security officer chooses a time-stamping service.');
  const approved = f.approved || [];
  if (!approved.length) return note('waiting', 'Waiting for global configuration to list the approved services.');
  return formStep(
      'Time-stamping service added',
      () => api('POST', '/system/timestamping-services', approved[Number(value('tsa-choice'))]), redraw, 'tsa-add',
      'Use this service', h('label', {'for': 'tsa-choice'}, 'Approved time-stamping service'),
      h('select', {id: 'tsa-choice'}, approved.map((t, n) => h('option', {value: String(n)}, `${t.name} (${t.url})`))));
}

// A key and its CSR for `usage` (SIGNING or AUTHENTICATION): its subject built by the CA's
// certificate profile, the form's fields as the CA asks for them.
function csrStep(f, can, redraw, usage) {
  const prefix = usage === 'SIGNING' ? 'sign' : 'auth';
  if (f.certs(usage).length) return note('done', 'The certificate is imported.');
  const pending = f.csrs(usage);
  const permission = usage === 'SIGNING' ? 'generate_sign_cert_req' : 'generate_auth_cert_req';
  if (pending.length) {
    const {key, csr} = pending[pending.length - 1];
    const made = note('done', 'The CSR is made: have the CA sign it, then import the certificate in step 7.');
    // (The CSR's download needs the permission that makes one.)
    if (!can(permission)) return made;
    const path = `/keys/${encodeURIComponent(key.id)}/csrs/${encodeURIComponent(csr.id)}?csr_format=PEM`;
    const step = buttonStep(
        made.body[0], 'CSR downloaded', () => download(path, `${prefix}-${csr.id}.csr.pem`), async () => {},
        `${prefix}-csr-download`, 'Download the CSR', 'secondary');
    return {...step, state: 'done'};
  }
  if (!can(permission)) return note('todo', 'A security officer makes the key and its CSR.');
  if (usage === 'SIGNING' && !f.owner)
    return note('waiting', 'Waiting to read the owner (the signing key is the owner\'s).');
  const fields = h('div', {});
  const ca = h('select', {id: `${prefix}-ca`});
  const member = f.owner ? clientId(f.owner) : '';
  const showFields = async () => {
    fields.replaceChildren();
    if (!ca.value) return;
    const query = new URLSearchParams({key_usage_type: usage});
    if (usage === 'SIGNING') query.set('member_id', member);
    try {
      const form =
          await api('GET', `/certificate-authorities/${encodeURIComponent(ca.value)}/csr-subject-fields?${query}`);
      fields.replaceChildren(...form.flatMap(x => field(`${prefix}-field-${x.id}`, x.label || x.id, {
                                               value: x.default_value || '',
                                               readonly: x.read_only,
                                               required: x.required,
                                               'data-field': x.id,
                                             })));
    } catch (error) {
      fields.replaceChildren(errorBox(error));
    }
  };
  ca.addEventListener('change', showFields);
  apiOrNull(`/certificate-authorities?key_usage_type=${usage}`).then(cas => {
    ca.replaceChildren(...(cas || []).map(c => h('option', {value: c.name}, c.name)));
    return showFields();
  });
  const make = async () => {
    const values = {};
    for (const input of fields.querySelectorAll('input[data-field]')) {
      if (input.value.trim()) values[input.dataset.field] = input.value.trim();
    }
    const request = {key_usage_type: usage, ca_name: ca.value, csr_format: 'PEM', subject_field_values: values};
    if (usage === 'SIGNING') request.member_id = member;
    await api(
        'POST', `/tokens/${TOKEN}/keys-with-csrs`,
        {key_label: value(`${prefix}-label`), csr_generate_request: request});
  };
  return formStep(
      'Key and CSR made', make, redraw, `${prefix}-csr-make`, 'Make the key and its CSR',
      field(`${prefix}-label`, 'Key label', {value: usage === 'SIGNING' ? 'sign' : 'auth', required: true}),
      h('label', {'for': `${prefix}-ca`}, 'Certification authority'), ca,
      usage === 'SIGNING' ? h('p', {class: 'muted'}, `For the member ${member}.`) : null, fields);
}

function importStep(f, can, redraw) {
  if (f.certs('SIGNING').length && f.certs('AUTHENTICATION').length)
    return note('done', 'Both certificates are imported.');
  if (!can('import_sign_cert') && !can('import_auth_cert'))
    return note('todo', 'A security officer imports the certificates.');
  return formStep(
      'Certificate imported', upload('cert-file', '/token-certificates', 'certificate'), redraw, 'cert-import',
      'Import',
      field('cert-file', 'A certificate the CA issued (PEM or DER)', {type: 'file', accept: '.pem,.crt,.cer,.der'}));
}

function registrationStep(f, can, redraw) {
  const cert = f.certs('AUTHENTICATION')[0];
  if (!cert) return note('todo', 'Waits for the authentication certificate.');
  const hash = cert.certificate_details.hash;
  const status =
      h('p', {}, 'Authentication certificate: ', badge(cert.status), cert.active ? ' active' : ' not active');
  if (cert.status === 'REGISTERED' && cert.active) return {state: 'done', body: [status]};
  if (cert.status === 'REGISTRATION_IN_PROGRESS')
    return {
      state: 'waiting',
      body: [status, h('p', {}, 'Waiting for the Central Server to approve it and global configuration to list it.')]
    };
  if (cert.status === 'REGISTERED') {
    if (!can('activate_disable_auth_cert')) return {state: 'todo', body: [status]};
    return buttonStep(
        status, 'Certificate activated', () => api('PUT', `/token-certificates/${hash}/activate`), redraw,
        'auth-activate', 'Activate');
  }
  if (!can('send_auth_cert_reg_req')) return {state: 'todo', body: [status]};
  const step = formStep(
      'Registration sent',
      () => api('PUT', `/token-certificates/${hash}/register`, {address: value('register-address')}), redraw,
      'auth-register', 'Register with the Central Server',
      field('register-address', 'This server\'s address (DNS name or IP address its peers reach)', {required: true}));
  return {...step, body: [status, ...step.body]};
}

function subsystemStep(f, can, redraw) {
  if (!f.owner) return note('waiting', 'Waiting to read the owner and its clients.');
  const subsystems = f.clients.filter(
      c => c.subsystem_code && c.member_class === f.owner.member_class && c.member_code === f.owner.member_code);
  const registered = subsystems.find(c => c.status === 'REGISTERED');
  if (registered) return note('done', `${clientId(registered)} is registered.`);
  const saved = subsystems.find(c => c.status === 'SAVED');
  if (saved) {
    if (!can('send_client_reg_req')) return note('todo', `${clientId(saved)} waits to be registered.`);
    return buttonStep(
        h('p', {}, `${clientId(saved)} is added.`), 'Registration sent',
        () => api('PUT', `/clients/${encodeURIComponent(clientId(saved))}/register`), redraw, 'subsystem-register',
        'Register the subsystem');
  }
  if (subsystems.length)
    return {state: 'waiting', body: subsystems.map(c => h('p', {}, `${clientId(c)}: `, badge(c.status)))};
  if (!can('add_client')) return note('todo', 'A registration officer adds a subsystem.');
  const add = () => api('POST', '/clients', {
    client: {
      member_class: f.owner.member_class,
      member_code: f.owner.member_code,
      subsystem_code: value('subsystem-code'),
      connection_type: value('subsystem-connection'),
    }
  });
  return formStep(
      'Subsystem added', add, redraw, 'subsystem-add', 'Add the subsystem',
      field('subsystem-code', `Subsystem code (of ${clientId(f.owner)})`, {required: true, autocomplete: 'off'}),
      h('label', {'for': 'subsystem-connection'}, 'How its information system connects'),
      h('select', {id: 'subsystem-connection'}, h('option', {value: 'HTTPS'}, 'HTTPS (TLS client certificate)'),
        h('option', {value: 'HTTPS_NO_AUTH'}, 'HTTPS without a client certificate'),
        h('option', {value: 'HTTP'}, 'HTTP')));
}

const STEPS = [
  {id: 'anchor', title: 'Configuration anchor', make: anchorStep},
  {id: 'init', title: 'Owner and server code', make: initStep},
  {id: 'token', title: 'Software token', make: tokenStep},
  {id: 'timestamping', title: 'Time-stamping service', make: timestampingStep},
  {id: 'sign', title: 'Signing key and CSR', make: (f, can, redraw) => csrStep(f, can, redraw, 'SIGNING')},
  {
    id: 'auth',
    title: 'Authentication key and CSR',
    make: (f, can, redraw) => csrStep(f, can, redraw, 'AUTHENTICATION')
  },
  {id: 'import', title: 'Certificates', make: importStep},
  {id: 'register', title: 'Registration', make: registrationStep},
  {id: 'subsystem', title: 'A subsystem', make: subsystemStep},
];

const LABELS = {
  done: 'Done',
  todo: 'To do',
  waiting: 'Waiting',
  locked: 'Not yet'
};

export async function render(main, session) {
  clearTimeout(recheck);
  const f = await facts();
  const can = name => session.can(name);
  const redraw = () => render(main, session);
  let open = true;  // every step before this one is done
  let waiting = false;
  const sections = STEPS.map((step, n) => {
    let made = {state: 'locked', body: [h('p', {class: 'muted'}, 'Opens once the steps before it are done.')]};
    if (open) made = step.make(f, can, redraw);
    if (open && made.state !== 'done') {
      open = false;
      waiting = made.state === 'waiting';
    }
    return h(
        'section', {class: `step ${made.state}`, id: `step-${step.id}`, 'aria-labelledby': `step-${step.id}-title`},
        h('h2', {id: `step-${step.id}-title`}, `${n + 1}. ${step.title} `,
          h('span', {class: `state ${made.state}`, 'data-state': made.state}, LABELS[made.state])),
        made.body);
  });
  const finished = open;
  show(
      main, h('h1', {}, 'Onboarding'),
      h('p', {id: 'onboarding-summary', class: finished ? 'ok' : 'muted'},
        finished ? 'This server is set up: it can exchange messages.' : 'Follow the steps in order.'),
      h('p', {},
        h('button', {type: 'button', class: 'secondary', id: 'onboarding-refresh', onclick: redraw}, 'Check again')),
      h('div', {class: 'steps'}, sections));
  // A step that waits for the Central Server or global configuration is looked at again, while
  // this page is shown.
  if (waiting) {
    const hash = location.hash;
    recheck = setTimeout(() => {
      if (location.hash === hash && main.isConnected) redraw();
    }, RECHECK_MS);
  }
}
