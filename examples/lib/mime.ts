/**
 * Content-Type by file extension for the file_server example: a small table of the
 * types a static site serves, text types with `charset=utf-8` (as nginx's
 * `charset utf-8` and serve-static do), application/octet-stream otherwise.
 *
 * May touch: nothing (a pure lookup).
 */
import path from 'node:path';

const UTF8 = '; charset=utf-8';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html' + UTF8,
  '.htm': 'text/html' + UTF8,
  '.css': 'text/css' + UTF8,
  '.js': 'text/javascript' + UTF8,
  '.mjs': 'text/javascript' + UTF8,
  '.txt': 'text/plain' + UTF8,
  '.md': 'text/markdown' + UTF8,
  '.csv': 'text/csv' + UTF8,
  '.xml': 'text/xml' + UTF8,
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** The Content-Type for a file by its extension (case-insensitive); application/octet-stream if unknown. */
export function contentType(p: string): string {
  return TYPES[path.extname(p).toLowerCase()] ?? 'application/octet-stream';
}
