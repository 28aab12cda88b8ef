/**
 * The published types under `tsc --strict` (issue 8): every ```ts block of the README
 * (and of docs/, when there are any), and test/types/usage.ts — what a strict project
 * writes, with @ts-expect-error on what the types must refuse (constructors and
 * internals) — compiled against dist/*.d.ts through the package's own name
 * ('ringcore', 'ringcore/fs', 'ringcore/net').  The examples are compiled with
 * `strict: true` by `npm test`'s own tsc run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url)); // dist/test -> package root
const work = path.join(root, 'build', 'type-check');

/** The ```ts code blocks of a markdown file. */
function tsBlocks(md: string): string[] {
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

test('README code blocks and strict usage compile against the published types', { timeout: 120_000 }, () => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const files: string[] = [];
  const docs = [path.join(root, 'README.md')];
  const docsDir = path.join(root, 'docs');
  if (fs.existsSync(docsDir)) for (const f of fs.readdirSync(docsDir)) if (f.endsWith('.md')) docs.push(path.join(docsDir, f));
  for (const doc of docs) {
    tsBlocks(fs.readFileSync(doc, 'utf8')).forEach((code, i) => {
      const f = path.join(work, `${path.basename(doc, '.md')}-${i}.ts`);
      // Each block is a module (top-level await, its own imports).
      fs.writeFileSync(f, `${code}\nexport {};\n`);
      files.push(f);
    });
  }
  assert.ok(files.length > 0, 'the README has ts code blocks');
  const usage = path.join(work, 'usage.ts');
  fs.copyFileSync(path.join(root, 'test', 'types', 'usage.ts'), usage);
  files.push(usage);
  fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
      lib: ['ES2023', 'ESNext.Disposable'], types: ['node'], skipLibCheck: false, noUnusedLocals: false,
      typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files,
  }, null, 2));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(work, 'tsconfig.json')], { cwd: work, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? String(e);
    assert.fail(`tsc --strict failed:\n${out}`);
  }
});
