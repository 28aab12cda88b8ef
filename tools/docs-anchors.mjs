#!/usr/bin/env node
/**
 * The relative links of the docs (docs/*.md, README.md, CHANGELOG.md): check them, or
 * re-point their line anchors after the code moved.
 *
 *   node tools/docs-anchors.mjs          list broken links; exit 1 if any
 *   node tools/docs-anchors.mjs --fix    re-point every `[`name`](../src/x.ts#L40)` at
 *                                        the line that defines `name` in that file (the
 *                                        definition nearest the old line; `Class.name`:
 *                                        the first after that class) — or, if that file
 *                                        no longer defines it, in the one file of the
 *                                        same folder that does — then check
 *
 * A link is broken when its file does not exist, its line anchor (#L12 or #L12-L20)
 * is past the end of the file, or — when its text starts with a `code` span naming a
 * symbol — the anchored line does not mention that symbol.  test/docs.test.ts runs
 * the same check (`checkLinks`).  Links to the web (scheme://) and to headings in the
 * same page (#...) are not checked.
 *
 * May touch: the markdown files above (with --fix), stdout.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The markdown files whose links are ours to keep right. */
export function docFiles(root = ROOT) {
  const out = ['README.md', 'CHANGELOG.md'].map((f) => join(root, f)).filter((f) => existsSync(f));
  const docs = join(root, 'docs');
  if (existsSync(docs)) {
    for (const f of readdirSync(docs)) if (f.endsWith('.md')) out.push(join(docs, f));
  }
  return out;
}

// [text](target) — not images' inner brackets; code blocks are skipped line-wise.
const LINK = /\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)/g;

/** The identifier a link's text names: `ring.submit(op)` -> submit; none if no code span. */
export function symbolOf(text) {
  const m = /^`([^`]+)`/.exec(text.trim());
  if (!m) return undefined;
  const code = m[1].replace(/\(.*$/s, '').replace(/<.*$/s, '').trim();
  const parts = code.split(/[.\s#:]+/).filter(Boolean);
  const last = parts[parts.length - 1];
  return last && /^[A-Za-z_$][\w$]*$/.test(last) ? last : undefined;
}

/** Every relative link of `file`: { line, text, target, path, from, to }. */
export function linksOf(file) {
  const out = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let fence = false;
  lines.forEach((l, i) => {
    if (/^\s*(```|~~~)/.test(l)) fence = !fence;
    if (fence) return;
    for (const m of l.matchAll(LINK)) {
      const target = m[2];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      const [p, anchor] = target.split('#');
      const r = anchor ? /^L(\d+)(?:-L(\d+))?$/.exec(anchor) : null;
      out.push({
        line: i + 1, text: m[1], target, path: resolve(dirname(file), decodeURIComponent(p)),
        from: r ? Number(r[1]) : undefined, to: r ? Number(r[2] ?? r[1]) : undefined, anchor,
      });
    }
  });
  return out;
}

const wordRe = (name) => new RegExp(`(^|[^\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);

/** Problems with the links of `files`, as strings ('' list: all good). */
export function checkLinks(files = docFiles()) {
  const problems = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    for (const k of linksOf(f)) {
      const where = `${rel}:${k.line}: [${k.text}](${k.target})`;
      if (!existsSync(k.path)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      if (k.anchor === undefined || k.from === undefined) continue;
      if (statSync(k.path).isDirectory()) {
        problems.push(`${where}: a line anchor on a directory`);
        continue;
      }
      const lines = readFileSync(k.path, 'utf8').split('\n');
      if (k.from < 1 || k.to < k.from || k.to > lines.length) {
        problems.push(`${where}: line ${k.from}-${k.to} is not within 1..${lines.length}`);
        continue;
      }
      const sym = symbolOf(k.text);
      if (sym !== undefined && !wordRe(sym).test(lines.slice(k.from - 1, k.to).join('\n'))) {
        problems.push(`${where}: line ${k.from} does not mention ${sym} (${JSON.stringify(lines[k.from - 1].trim().slice(0, 80))})`);
      }
    }
  }
  return problems;
}

/** The qualifier of a link's symbol: `RwOp.prepare` -> RwOp (else undefined). */
export function qualifierOf(text) {
  const m = /^`([^`]+)`/.exec(text.trim());
  if (!m) return undefined;
  const parts = m[1].replace(/\(.*$/s, '').split('.').filter(Boolean);
  return parts.length >= 2 && /^[A-Z][\w$]*$/.test(parts[parts.length - 2]) ? parts[parts.length - 2] : undefined;
}

/**
 * The line (1-based) that best defines `name` in `lines`, nearest to `near`; with a
 * class `qualifier`, the first definition of `name` after that class's line.
 */
export function definitionLine(lines, name, near, qualifier, { definitionsOnly = false } = {}) {
  if (qualifier !== undefined) {
    const q = new RegExp(`\\b(class|interface|namespace)\\s+${qualifier}\\b`);
    const start = lines.findIndex((l) => q.test(l));
    if (start >= 0) {
      const after = lines.slice(start);
      const at = definitionLine(after, name, 1, undefined, { definitionsOnly });
      if (at !== undefined) return start + at;
    }
  }
  const n = name.replace(/\$/g, '\\$');
  const tiers = [
    new RegExp(`\\b(function\\*?|class|interface|type|enum|const|let|var|namespace)\\s+${n}\\b`),
    new RegExp(`^\\s*(export\\s+)?((public|private|protected|static|readonly|async|get|set|override|declare|abstract)\\s+)*${n}\\s*[(<:=?!]`),
    new RegExp(`^[A-Za-z_][\\w\\s*]*\\b${n}\\s*\\(`), // C: static napi_value Enter(
    new RegExp(`#define\\s+${n}\\b`),
    ...(definitionsOnly ? [] : [wordRe(name)]),
  ];
  for (const re of tiers) {
    let best;
    lines.forEach((l, i) => {
      if (re.test(l) && (best === undefined || Math.abs(i + 1 - near) < Math.abs(best - near))) best = i + 1;
    });
    if (best !== undefined) return best;
  }
  return undefined;
}

/** Re-point symbol links' anchors at their definitions; returns how many changed. */
export function fixAnchors(files = docFiles()) {
  let changed = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n');
    let fence = false;
    const out = lines.map((l) => {
      if (/^\s*(```|~~~)/.test(l)) fence = !fence;
      if (fence) return l;
      return l.replace(LINK, (whole, label, target) => {
        const [p, anchor] = target.split('#');
        const r = anchor ? /^L(\d+)(?:-L(\d+))?$/.exec(anchor) : null;
        const sym = symbolOf(label);
        if (!r || sym === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) return whole;
        const path = resolve(dirname(f), decodeURIComponent(p));
        if (existsSync(path) && statSync(path).isDirectory()) return whole;
        const q = qualifierOf(label);
        let newP = p;
        let at = existsSync(path)
          ? definitionLine(readFileSync(path, 'utf8').split('\n'), sym, Number(r[1]), q, { definitionsOnly: true })
          : undefined;
        if (at === undefined) {
          // Moved to another file of the same folder (a module split): the one sibling
          // that defines it.
          const dir = dirname(path);
          const hits = existsSync(dir)
            ? readdirSync(dir).filter((n) => /\.(ts|mjs|js|c|cc|h)$/.test(n)).map((n) => [n, definitionLine(readFileSync(join(dir, n), 'utf8').split('\n'), sym, Number(r[1]), q, { definitionsOnly: true })]).filter(([, l]) => l !== undefined)
            : [];
          if (hits.length === 1) {
            newP = join(dirname(p), hits[0][0]);
            at = hits[0][1];
          } else if (existsSync(path)) {
            at = definitionLine(readFileSync(path, 'utf8').split('\n'), sym, Number(r[1]), q);
          }
        }
        if (at === undefined || (at === Number(r[1]) && newP === p)) return whole;
        changed++;
        const span = r[2] ? Number(r[2]) - Number(r[1]) : 0;
        return `[${label}](${newP}#L${at}${span ? `-L${at + span}` : ''})`;
      });
    });
    if (out.join('\n') !== text) writeFileSync(f, out.join('\n'));
  }
  return changed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--fix')) console.log(`${fixAnchors()} anchor(s) moved`);
  const problems = checkLinks();
  for (const p of problems) console.log(p);
  if (problems.length) process.exitCode = 1;
  else console.log('all links resolve');
}
