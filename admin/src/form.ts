// Form fields with a hint and an error line, and a problem's field errors put beside their fields.
import { ApiError } from './api';
import { h } from './dom';

/** A labelled control with its hint and an error line; `errors` learns where the field's errors go. */
export function field(errors: Map<string, HTMLElement>, name: string, label: string, control: HTMLElement, hint = ''): HTMLElement {
  const err = h('p', { class: 'field-error', id: `err-${name}`, role: 'alert' });
  errors.set(name, err);
  control.id = `f-${name}`;
  control.setAttribute('name', name);
  control.setAttribute('aria-describedby', `err-${name}${hint ? ` hint-${name}` : ''}`);
  return h('div', { class: 'field' }, h('label', { for: `f-${name}` }, label), control, hint ? h('p', { class: 'hint', id: `hint-${name}` }, hint) : null, err);
}

export function clearFieldErrors(form: HTMLFormElement, errors: Map<string, HTMLElement>): void {
  for (const el of errors.values()) el.textContent = '';
  for (const c of Array.from(form.querySelectorAll('[aria-invalid]'))) c.removeAttribute('aria-invalid');
}

/**
 * Puts each field error of a problem beside its field — `origins.2` belongs to the origins field, as "Line 3: …" —
 * marks the control invalid and focuses the first. False when the problem names no field of this form.
 */
export function showFieldErrors(form: HTMLFormElement, errors: Map<string, HTMLElement>, err: unknown): boolean {
  if (!(err instanceof ApiError) || !err.problem.errors?.length) return false;
  let first: HTMLElement | null = null;
  for (const fe of err.problem.errors) {
    const name = errors.has(fe.path) ? fe.path : fe.path.replace(/\.\d+$/, '');
    const el = errors.get(name);
    if (!el) continue;
    const index = /\.(\d+)$/.exec(fe.path);
    const line = `${index ? `Line ${Number(index[1]) + 1}: ` : ''}${fe.message}`;
    el.textContent = el.textContent ? `${el.textContent} ${line}` : line;
    const control = form.querySelector<HTMLElement>(`#f-${CSS.escape(name)}`);
    control?.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  first?.focus();
  return first !== null;
}
