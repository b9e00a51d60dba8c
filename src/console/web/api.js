// The admin API as the console calls it: same origin, the session's cookie, and the session's
// XSRF token echoed on every request that may change something (X-Road's X-XSRF-TOKEN).

export class ApiError extends Error {
  constructor(status, code, metadata) {
    super(code ? `${code}${metadata && metadata.length ? ': ' + metadata.join(', ') : ''}` : `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.metadata = metadata || [];
  }
}

function xsrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'XSRF-TOKEN') return value.join('=');
  }
  return '';
}

let onUnauthorized = () => {};
export function whenLoggedOut(handler) { onUnauthorized = handler; }

// One request; resolves to the parsed JSON answer (or null for 204, or a Blob when `blob`).
export async function api(method, path, body, {blob = false, raw = false} = {}) {
  const headers = {Accept: 'application/json'};
  if (method !== 'GET' && method !== 'HEAD') headers['X-XSRF-TOKEN'] = xsrfToken();
  let payload;
  if (raw) {
    payload = body;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(`/api/v1${path}`, {method, headers, body: payload, credentials: 'same-origin'});
  // An ended session, or a page that lost its XSRF token: log in again.
  const lost = response.status === 401 || (response.status === 403 && !xsrfToken());
  if (lost && path !== '/login') onUnauthorized();
  if (!response.ok) {
    let code = '', metadata = [];
    try {
      const error = (await response.json()).error || {};
      code = error.code || '';
      metadata = error.metadata || [];
    } catch (_) { /* not X-Road's error body */
    }
    throw new ApiError(response.status, code, metadata);
  }
  if (blob) return response.blob();
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// GET `path`, or null when it is refused or fails: for a page's optional parts.
export function apiOrNull(path) { return api('GET', path).catch(() => null); }

// A download the browser saves: the answer as a Blob under `filename`.
export async function download(path, filename) {
  const data = await api('GET', path, undefined, {blob: true});
  const url = URL.createObjectURL(data);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// X-Road's client id as the API writes it in paths: INSTANCE:CLASS:CODE[:SUBSYSTEM].
export function clientId(c) {
  return [c.instance_id, c.member_class, c.member_code, c.subsystem_code].filter(Boolean).join(':');
}
