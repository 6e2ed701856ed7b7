// Runs in the browser, bundled by esbuild when the console first serves it (editor-bundle.ts):
// the YAML editor over the page's plain text area. The text area stays the form's field
// (the page works without this script); the editor writes every change back into it, and
// asks the engine to check the text as it is typed, showing each problem at its line and
// column. The check is the same as the page's Check button: POST .../check with the
// form's `_csrf`, answered with the issues as JSON.
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint';
import { StateEffect } from '@codemirror/state';
import { basicSetup, EditorView } from 'codemirror';
import { metaCompletion } from './meta-completion.ts';

interface Issue {
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
}

for (const area of Array.from(document.querySelectorAll<HTMLTextAreaElement>('textarea[data-yaml-editor]'))) {
  const form = area.form;
  const checkUrl = area.dataset.yamlEditor;
  if (!form || !checkUrl) continue;
  const csrf = (form.elements.namedItem('_csrf') as HTMLInputElement | null)?.value ?? '';
  // Keys and values from the manifest meta-schema, once it has come (the editor works without it).
  const metaSchema = area.dataset.metaSchema;
  const completion = metaSchema
    ? fetch(metaSchema)
        .then((r) => r.json())
        .then((schema) => yamlLanguage.data.of({ autocomplete: metaCompletion(schema) }))
        .catch(() => [])
    : Promise.resolve([]);
  const check = linter(
    async (view) => {
      const text = view.state.doc.toString();
      const response = await fetch(checkUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, yaml: text }),
        credentials: 'same-origin',
      });
      if (!response.ok) return [];
      const { issues } = (await response.json()) as { issues: Issue[] };
      return issues.map((issue): Diagnostic => {
        const line = view.state.doc.line(Math.min(Math.max(1, issue.line), view.state.doc.lines));
        const from = Math.min(line.from + Math.max(0, issue.col - 1), line.to);
        return { from, to: Math.max(from, line.to), severity: issue.severity, message: issue.message };
      });
    },
    { delay: 400 },
  );
  const editor = new EditorView({
    doc: area.value,
    extensions: [
      basicSetup,
      // CodeMirror's styles go in a <style> element; the page's CSP allows it by this nonce.
      EditorView.cspNonce.of(area.dataset.styleNonce ?? ''),
      yaml(),
      lintGutter(),
      check,
      EditorView.contentAttributes.of({ 'aria-label': area.labels?.[0]?.textContent?.trim() ?? 'YAML' }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        area.value = update.state.doc.toString();
        area.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    ],
  });
  area.hidden = true;
  area.after(editor.dom);
  void completion.then((extension) => editor.dispatch({ effects: StateEffect.appendConfig.of(extension) }));
  // Opened at a line (a link from a failing endpoint): the cursor starts there, in view.
  const at = Number(area.dataset.line);
  if (at >= 1 && at <= editor.state.doc.lines) {
    const line = editor.state.doc.line(at);
    editor.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true });
    editor.focus();
  }
}
