// Backups: the server's configuration and keys as signed archives (X-Road's /backups).
import {api, download} from '../api.js';
import {announce, errorBox, h, show, table, when} from '../dom.js';

export async function render(main, session) {
  const backups = await api('GET', '/backups');
  const problem = h('div', {});
  const act = async (label, work) => {
    problem.replaceChildren();
    try {
      await work();
      announce(label);
      await render(main, session);
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  };
  const canRestore = session.can('restore_configuration');
  show(main, 
    h('h1', {}, 'Backups'),
    h('p', {}, h('button', { type: 'button', id: 'backup-create',
      onclick: () => act('Backup made', () => api('POST', '/backups')) }, 'Back up now')),
    problem,
    table('Backups, newest first', [
      { label: 'File', cell: b => b.filename },
      { label: 'Made', cell: b => when(b.created_at) },
      { label: 'Actions', cell: b => h('span', {},
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Download ${b.filename}`,
          onclick: () => act('Downloaded', () => download(`/backups/${encodeURIComponent(b.filename)}/download`, b.filename)) },
          'Download'), ' ',
        canRestore ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Restore ${b.filename}`,
          onclick: () => window.confirm(`Restore ${b.filename}? The server restarts on the restored configuration.`) &&
            act('Restored', () => api('PUT', `/backups/${encodeURIComponent(b.filename)}/restore`)) }, 'Restore') : null, ' ',
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${b.filename}`,
          onclick: () => window.confirm(`Delete ${b.filename}?`) &&
            act('Deleted', () => api('DELETE', `/backups/${encodeURIComponent(b.filename)}`)) }, 'Delete')) },
    ], [...backups].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at))), 'No backups yet.'));
}
