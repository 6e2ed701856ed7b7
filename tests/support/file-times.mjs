// A node:test reporter that prints how long each test file took, longest first, and the
// failures with their file: `node --test --test-reporter=./tests/support/file-times.mjs`.
// Used to decide which files are long enough for `npm run test:long`.
export default async function* fileTimes(source) {
  const files = new Map();
  const failed = [];
  for await (const event of source) {
    const { type, data } = event;
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0 && data.file) {
      files.set(data.file, (files.get(data.file) ?? 0) + (data.details?.duration_ms ?? 0));
    }
    if (type === 'test:fail' && data.details?.type !== 'suite')
      failed.push(`${data.file}: ${data.name}: ${String(data.details?.error?.cause ?? data.details?.error?.message ?? '').slice(0, 300)}`);
  }
  const rows = [...files].sort((a, b) => b[1] - a[1]);
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(`${process.cwd()}/`, '')}\n`;
  yield `${rows.length} files, ${(rows.reduce((sum, [, ms]) => sum + ms, 0) / 1000).toFixed(0)} s in all\n`;
  for (const line of failed) yield `FAILED ${line}\n`;
}
