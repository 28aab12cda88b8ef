/**
 * Which Node line `ringcore/fs` is running on, where `node:fs/promises` changed between
 * the lines it supports (20, 22, 24): one named predicate per difference, each with what
 * changed.  ringcore/fs behaves like the Node it runs on, so that swapping the import
 * stays a no-op on every line (test/fs-surface.test.ts and test/fs-diff.test.ts compare
 * it with the running Node's node:fs/promises).
 *
 * A feature is tested where there is one to test cheaply (node:fs is loaded already);
 * otherwise the major of `process.versions.node` decides (under Bun or Deno: the Node
 * line they report).  The versions named below are those checked: v20.20.2, v22.23.5 and
 * v24.22.3 (tools/node-lines).
 *
 * May touch: nothing; reads node:fs' exports and process.versions.
 */
import * as nodeFsSync from 'node:fs';

/** The major of the Node line we run on (20, 22, 24, ...). */
export const NODE_MAJOR = Number.parseInt(process.versions.node ?? '0', 10);

const NodeStats = nodeFsSync.Stats;

/**
 * `glob` exists (Node 22+: fsPromises.glob, added with fs.glob and fs.globSync).
 * Feature-tested through fs.glob, a plain function of the already-loaded node:fs
 * (reading fs.promises would load Node's whole promises module, ~1.5 ms).
 */
export const HAS_GLOB = typeof (nodeFsSync as { glob?: unknown }).glob === 'function';

/**
 * `mkdtempDisposable` exists (Node 24.4+: fsPromises.mkdtempDisposable, added with
 * fs.mkdtempDisposableSync).  Feature-tested through fs.mkdtempDisposableSync.
 */
export const HAS_MKDTEMP_DISPOSABLE = typeof (nodeFsSync as { mkdtempDisposableSync?: unknown }).mkdtempDisposableSync === 'function';

/**
 * `atime`, `mtime`, `ctime`, `birthtime` are lazy getters on the prototype (Node 22+,
 * internal/fs/utils.js lazyDateFields) computed from the `*Ms` fields, on Stats *and*
 * BigIntStats — no longer own properties set by the constructor (Node 20).
 * Feature-tested: the getter on fs.Stats.prototype (the same descriptors are on
 * BigIntStats.prototype, which Node does not export).
 */
export const STATS_LAZY_DATES = typeof Object.getOwnPropertyDescriptor(NodeStats.prototype, 'atime')?.get === 'function';

/**
 * fs.Stats is a deprecation wrapper (Node 22+, DEP0180: calling the constructor warns);
 * Stats objects are then built without calling it, field by field as Node's own (its
 * Dates being the lazy getters above).  Feature-tested: the wrapper's name, or the lazy
 * Dates (the same line).
 */
export const STATS_CTOR_DEPRECATED = NodeStats.name === 'deprecated' || STATS_LAZY_DATES;

/**
 * FileHandle.read(buffer, offset, length, position) validates `position` (Node 22+:
 * validatePosition — an integer >= -1 and <= 2^53-1, or a bigint -1n..2^63-1-length;
 * another type is ERR_INVALID_ARG_TYPE, 1.5 / -7 / NaN ERR_OUT_OF_RANGE), where Node 20
 * took anything but a safe integer as "the current position".  Only read: write, readv
 * and writev still take a non-number as the current position on 22 and 24.
 * No feature to test: by major.
 */
export const READ_VALIDATES_POSITION = NODE_MAJOR >= 22;

/**
 * The fs binding validates the fd of a write (Node 22+: fd -1 is ERR_OUT_OF_RANGE "fd
 * ... >= 0 && <= 2147483647", checked in C++ before the syscall), where Node 20's
 * write(2) failed with EBADF: what writeFile/appendFile given a closed FileHandle say.
 * (readFile's fstat(-1) was ERR_OUT_OF_RANGE on Node 20 already.)  By major.
 */
export const WRITE_VALIDATES_FD = NODE_MAJOR >= 22;

/**
 * cp of a directory onto an existing one with `{ force: false, errorOnExist: true }`
 * fails with ERR_FS_CP_EEXIST for the directory itself (Node 22+: onDir checks
 * errorOnExist), where Node 20 went in and failed on the first file that existed.
 * By major.
 */
export const CP_DIR_ERROR_ON_EXIST = NODE_MAJOR >= 22;

/**
 * cp with `preserveTimestamps` gives directories their source's atime/mtime too (after
 * copying their contents), and a symlink whose source is not a directory is never
 * refused as "a subdirectory of self" (Node 24: onDir/mkDirAndCopy call
 * setDestTimestamps; onLink checks isSrcSubdir only when src is a directory).  By major.
 */
export const CP_NODE24 = NODE_MAJOR >= 24;

/**
 * symlink's `type` is validated first, before the paths (Node 24: validateOneOf(type,
 * 'type', ['dir', 'file', 'junction', null, undefined]) — ERR_INVALID_ARG_VALUE for 5,
 * {} or 'bogus'), where Node 20 and 22 ignored a non-string type and refused an unknown
 * string with ERR_FS_INVALID_SYMLINK_TYPE after the paths.  By major.
 */
export const SYMLINK_TYPE_ONE_OF = NODE_MAJOR >= 24;
