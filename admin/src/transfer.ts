// The "Import & export" view (owners): upload an export from Disqus, WordPress or Marginalia, watch its progress
// and summary, and download the site's own export.
import { ApiError, token, type Schemas } from './api';
import { clear, h } from './dom';
import type { App } from './types';

type Job = Schemas['ImportJob'];

const PHASES: Record<Job['progress']['phase'], string> = {
  uploading: 'Uploading',
  reading: 'Reading the file',
  checking: 'Checking threads and replies',
  writing: 'Writing comments',
  done: 'Done',
};

/** Sends the file as the request body; XHR rather than fetch for its upload progress events. */
function upload(site: string, format: string, file: File, onProgress: (loaded: number, total: number) => void): Promise<Job> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/sites/${encodeURIComponent(site)}/import?format=${format}`);
    xhr.setRequestHeader('authorization', `Bearer ${token.get() ?? ''}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      let body: { import?: Job; detail?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 202 && body.import) resolve(body.import);
      else reject(new Error(body.detail ?? `The upload was refused (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error('The server could not be reached. Check your connection and try again.'));
    xhr.send(file);
  });
}

async function job(site: string, id: string): Promise<Job> {
  const res = await fetch(`/api/v1/sites/${encodeURIComponent(site)}/imports/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${token.get() ?? ''}` },
    cache: 'no-store',
  });
  const body = await res.json();
  if (!res.ok) throw new ApiError(body);
  return body as Job;
}

function summary(j: Job): HTMLElement {
  if (j.state === 'failed') return h('p', { class: 'error', role: 'alert', id: 'import-error' }, `The import stopped and changed nothing: ${j.error ?? ''}`);
  const c = j.counts!;
  const skipped = Object.entries(c.skipped).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
  return h(
    'div',
    { id: 'import-summary' },
    h('p', { class: 'big' }, `Imported ${c.imported} comment${c.imported === 1 ? '' : 's'} on ${c.newPages} new page${c.newPages === 1 ? '' : 's'}.`),
    h(
      'ul',
      {},
      h('li', {}, `Already there, skipped: ${c.alreadyThere}`),
      h('li', {}, `Not comments, skipped: ${skipped.length ? skipped.join(', ') : 'none'}`),
      h('li', {}, `Warnings: ${c.warningCount}`),
    ),
    c.warnings.length ? h('ul', { class: 'warnings' }, c.warnings.map((w) => h('li', {}, w))) : null,
    h('p', {}, h('a', { href: '#/queue' }, 'See the imported comments in the queue')),
  );
}

export function renderTransfer(app: App): void {
  const format = h(
    'select',
    { id: 'import-format' },
    h('option', { value: 'disqus' }, 'Disqus XML export'),
    h('option', { value: 'wordpress' }, 'WordPress export (WXR)'),
    h('option', { value: 'json' }, 'Marginalia export (JSON)'),
  );
  const file = h('input', { id: 'import-file', type: 'file', accept: '.xml,.json,application/xml,text/xml,application/json' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Import');
  const bar = h('progress', { id: 'import-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Import progress' });
  const status = h('p', { id: 'import-status', role: 'status', 'aria-live': 'polite' });
  const result = h('div', {});
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'import-title' },
    h('h3', { id: 'import-title' }, 'Import comments'),
    h('p', { class: 'hint' }, 'Comments keep their threads, times and statuses; running the same file again adds nothing. A file with an error changes nothing.'),
    h('label', { for: 'import-format' }, 'Format'),
    format,
    h('label', { for: 'import-file' }, 'File'),
    file,
    button,
    bar,
    status,
    result,
  );
  const show = (phase: string, done: number, total: number | null) => {
    bar.hidden = false;
    if (total) bar.value = Math.round((done / total) * 100);
    else bar.removeAttribute('value');
    status.textContent = `${phase}${total ? ` — ${Math.round((done / total) * 100)}%` : ''}`;
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      status.textContent = 'Choose a file to import.';
      file.focus();
      return;
    }
    button.disabled = true;
    clear(result);
    try {
      let j = await upload(app.site, format.value, chosen, (loaded, total) => show(PHASES.uploading, loaded, total));
      while (j.state === 'running') {
        show(PHASES[j.progress.phase], j.progress.done, j.progress.total);
        await new Promise((r) => setTimeout(r, 300));
        j = await job(app.site, j.id);
      }
      show(j.state === 'done' ? PHASES.done : 'Stopped', 1, j.state === 'done' ? 1 : null);
      clear(result, summary(j));
    } catch (err) {
      clear(result, h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : 'The import failed.'));
    } finally {
      button.disabled = false;
    }
  });

  const exportButton = h('button', { type: 'button', id: 'export-download' }, 'Download the export');
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const res = await fetch(`/api/v1/sites/${encodeURIComponent(app.site)}/export`, { headers: { authorization: `Bearer ${token.get() ?? ''}` } });
      if (!res.ok) throw new Error(`The export failed (${res.status}).`);
      const url = URL.createObjectURL(await res.blob());
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `marginalia-${app.site}.json`;
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      app.toast(err instanceof Error ? err.message : 'The export failed.', { error: true });
    } finally {
      exportButton.disabled = false;
    }
  });

  clear(
    app.main,
    h('h2', {}, 'Import & export'),
    form,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'export-title' },
      h('h3', { id: 'export-title' }, 'Export'),
      h('p', { class: 'hint' }, "Everything of this site in Marginalia's JSON format: settings, pages, comments with their statuses, bans and the audit log. It holds readers' e-mail addresses in clear: keep it safe."),
      exportButton,
    ),
  );
}
