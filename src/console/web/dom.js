// Building the page without HTML strings: text is always text, never markup.

// h('button', {type: 'button', onclick: f}, 'Save') -> <button type="button">Save</button>
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      // Never an inline handler (text run as script): a function, or a mistake.
      if (typeof value !== 'function') throw new TypeError(`${name} of <${tag}> is not a function`);
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class')
      element.className = value;
    else
      element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Puts `children` in `parent` in place of what it held; null, undefined and false are left out
// and arrays flattened, as h() does.
export function show(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter(c => c !== undefined && c !== null && c !== false));
}

// A table of `rows` with `columns`: [{label, cell: row => node or text}].
export function table(caption, columns, rows, empty = 'None.') {
  if (!rows.length) return h('p', {class: 'muted'}, empty);
  return h(
      'table', {}, h('caption', {class: 'muted'}, caption),
      h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col'}, c.label)))),
      h('tbody', {}, rows.map(row => h('tr', {}, columns.map(c => h('td', {}, c.cell(row)))))));
}

// Says `text` to screen readers and shows it for a few seconds.
export function announce(text) {
  const status = document.getElementById('status');
  status.textContent = text;
  setTimeout(() => {
    if (status.textContent === text) status.textContent = '';
  }, 5000);
}

// A status as X-Road's answers give it ("OK", "FAIL", "WAITING", "REGISTERED", "GOOD", ...),
// coloured: good, bad, or anything else.
export function badge(value) {
  const text = value || 'UNKNOWN';
  const good = ['OK', 'GOOD', 'REGISTERED', 'OCSP_RESPONSE_GOOD'].includes(text);
  return h('span', {class: good ? 'ok' : text === 'FAIL' ? 'bad' : 'warn'}, text);
}

// An event handler that runs `work`: its error is shown in `box` (and `onError(error, box)`
// told, when given); once it worked, `label` is announced and `redraw()` run.
export function act(box, label, work, redraw, onError) {
  return async event => {
    if (event) event.preventDefault();
    box.replaceChildren();
    try {
      await work();
      announce(label);
      await redraw();
    } catch (error) {
      box.replaceChildren(errorBox(error));
      if (onError) onError(error, box);
    }
  };
}

export function errorBox(error) { return h('p', {class: 'error', role: 'alert'}, `Failed: ${error.message}`); }

// "2026-12-07T10:00:00Z" in the reader's local form, or a dash.
export function when(value) {
  if (!value) return '–';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}
