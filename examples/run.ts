/**
 * The example launcher behind `npm run example <name> [args...]`
 * (package.json: "example": "node dist/examples/run.js").
 *
 * It lists the compiled examples next to itself (dist/examples/*.js but this file),
 * checks `<name>` against that list, rewrites process.argv so the example sees its own
 * arguments at process.argv[2...] as if it had been started directly, and imports it.
 * An unknown or missing name prints the list and exits with code 2.
 *
 * May touch: process.argv, its own directory listing, stdout/stderr.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dir = dirname(self);
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .map((f) => f.slice(0, -'.js'.length))
  .sort();

const [name, ...rest] = process.argv.slice(2);

if (name === undefined || !examples.includes(name)) {
  if (name !== undefined) process.stderr.write(`unknown example '${name}'\n\n`);
  process.stderr.write(
    'usage: npm run example <name> [args...]\n\nexamples:\n' + examples.map((e) => `  ${e}\n`).join(''),
  );
  process.exit(2);
}

// The example reads its arguments from process.argv[2...], as if run as `node <name>.js ...`.
process.argv = [process.argv[0], join(dir, `${name}.js`), ...rest];
await import(`./${name}.js`);
