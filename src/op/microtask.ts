/**
 * `microtask(fn)`: run `fn` in a microtask, as a promise reaction.
 *
 * Node's `queueMicrotask` is not the engine's: each call makes an AsyncResource
 * (a new async id, its init/destroy hooks), binds a function and runs the callback
 * through `runInAsyncScope` — several times the cost of the reaction itself, and the
 * ring's follow() and the thenables' deferred callbacks take one or more per request.
 * A reaction on an already-resolved promise is the engine's own microtask.
 *
 * `fn` must not throw: an exception would surface as an unhandled rejection, not as
 * an uncaught exception (callers catch what their callbacks throw).
 *
 * May touch: nothing but the microtask queue.
 */
const resolved = Promise.resolve();

export function microtask(fn: () => void): void {
  void resolved.then(fn);
}
