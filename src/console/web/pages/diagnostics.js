// Diagnostics: X-Road's /diagnostics answers, each as a section.
import {apiOrNull} from '../api.js';
import {badge, h, show, table, when} from '../dom.js';

function problem(error) {
  if (!error) return '';
  return [error.code, ...(error.metadata || [])].filter(Boolean).join(': ');
}

export async function render(main) {
  const [globalconf, ocsp, tsas, auth, addons, backupEnc, memory] = await Promise.all([
    apiOrNull('/diagnostics/globalconf'),
    apiOrNull('/diagnostics/ocsp-responders'),
    apiOrNull('/diagnostics/timestamping-services'),
    apiOrNull('/diagnostics/auth-cert-req-status'),
    apiOrNull('/diagnostics/addon-status'),
    apiOrNull('/diagnostics/backup-encryption-status'),
    apiOrNull('/diagnostics/proxy-memory-usage-status'),
  ]);
  const sections = [h('h1', {}, 'Diagnostics')];
  if (globalconf) {
    sections.push(
        h('h2', {}, 'Global configuration'),
        h('p', {}, badge(globalconf.status_class),
          ` last ${when(globalconf.prev_update_at)}, next ${when(globalconf.next_update_at)} `,
          problem(globalconf.error)));
  }
  if (ocsp) {
    const rows = ocsp.flatMap(ca => (ca.ocsp_responders || []).map(r => ({ca: ca.distinguished_name, ...r})));
    sections.push(
        h('h2', {}, 'OCSP responders'),
        table(
            'OCSP responders of the certificate authorities',
            [
              {label: 'CA', cell: r => r.ca},
              {label: 'URL', cell: r => r.url},
              {label: 'Status', cell: r => badge(r.status_class)},
              {label: 'Last', cell: r => when(r.prev_update_at)},
              {label: 'Problem', cell: r => problem(r.error)},
            ],
            rows));
  }
  if (tsas) {
    sections.push(
        h('h2', {}, 'Time-stamping'),
        table(
            'Time-stamping services',
            [
              {label: 'URL', cell: t => t.url},
              {label: 'Status', cell: t => badge(t.status_class)},
              {label: 'Last', cell: t => when(t.prev_update_at)},
              {label: 'Problem', cell: t => problem(t.error)},
            ],
            tsas));
  }
  if (auth)
    sections.push(
        h('h2', {}, 'Authentication certificate registration'),
        h('p', {}, badge(auth.status_class), ' ', problem(auth.error)));
  if (addons)
    sections.push(h('h2', {}, 'Add-ons'), h('p', {}, `Message log: ${addons.messagelog_enabled ? 'on' : 'off'}`));
  if (backupEnc)
    sections.push(
        h('h2', {}, 'Backup encryption'),
        h('p', {}, backupEnc.backup_encryption_status ? 'Encrypted' : 'Not encrypted'));
  if (memory) sections.push(h('h2', {}, 'Memory'), h('p', {}, `Used: ${memory.usage_percent ?? '?'} %`));
  show(main, ...sections);
}
