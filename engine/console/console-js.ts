/**
 * The console's one script, served as a file (the Content-Security-Policy allows no inline
 * script). Pages work without it; it only adds what a browser cannot do alone.
 *
 * Unsaved edits are not lost to a navigation without a prompt: a form marked
 * `data-unsaved-guard` asks before the page is left once it changed (or from the start
 * when the page holds a text not saved yet, `data-unsaved-guard="dirty"`), unless it is
 * being submitted.
 */
export const CONSOLE_JS = `'use strict';
for (const form of document.querySelectorAll('form[data-unsaved-guard]')) {
  let dirty = form.dataset.unsavedGuard === 'dirty';
  form.addEventListener('input', () => { dirty = true; });
  form.addEventListener('submit', () => { dirty = false; });
  window.addEventListener('beforeunload', (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = '';
  });
}
`;
