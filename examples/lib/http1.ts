/**
 * HTTP/1.1 for the http_server and file_server examples, in two halves:
 *
 *  - examples/lib/http1-parser.ts: the incremental request parser (framing, limits,
 *    pipelining; the strict policies that keep request smuggling out);
 *  - examples/lib/http1-response.ts: response builders (one Buffer per response,
 *    chunked framing, cached error responses, the per-second Date header).
 *
 * This module only re-exports both, so `import ... from './lib/http1.js'` gets either.
 *
 * May touch: nothing (re-exports).
 */
export * from './http1-parser.js';
export * from './http1-response.js';
