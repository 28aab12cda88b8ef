/**
 * `node:test` as the test files see it under `deno test` (tools/test-runtime.mjs maps the
 * specifier here with an import map): Deno's own node:test, with the tests that the
 * not-applicable list names for this file (RINGCORE_TEST_NA: JSON { "describe > test":
 * reason }) registered with `skip: 'not applicable: <reason>'` instead of run.  Deno's
 * --filter sees only top-level names and its --test-skip-pattern works only in TAP mode,
 * hence this.  Bun needs none of it: `bun test -t` filters by full name.
 *
 * May touch: nothing.
 */
import * as real from 'node:test';

export * from 'node:test';

const notApplicable = new Map(Object.entries(JSON.parse(process.env.RINGCORE_TEST_NA ?? '{}')));
/** The names of the describe() bodies being run, outermost first. */
const suites = [];

/** node:test's (name?, options?, fn?) as [name, options, fn]. */
function args(name, options, fn) {
  if (typeof name === 'function') return [name.name, {}, name];
  if (typeof options === 'function') return [name, {}, options];
  return [name, options ?? {}, fn];
}

function withSkip(name, options) {
  const reason = notApplicable.get([...suites, name].join(' > '));
  return reason === undefined ? options : { ...options, skip: `not applicable: ${reason}` };
}

function wrapTest(orig) {
  const wrapped = (...a) => {
    const [name, options, fn] = args(...a);
    return orig(name, withSkip(name, options), fn);
  };
  return Object.assign(wrapped, orig);
}

function wrapSuite(orig) {
  const wrapped = (...a) => {
    const [name, options, fn] = args(...a);
    const body = typeof fn !== 'function' ? fn : function (...b) {
      suites.push(name);
      try {
        return fn.apply(this, b);
      } finally {
        suites.pop();
      }
    };
    return orig(name, withSkip(name, options), body);
  };
  return Object.assign(wrapped, orig);
}

export const test = wrapTest(real.test);
export const it = wrapTest(real.it);
export const describe = wrapSuite(real.describe);
export const suite = wrapSuite(real.suite);
export default test;
