#!/usr/bin/env node
/**
 * The `ringcore` command (package.json "bin"): dispatches subcommands.
 *
 *   ringcore doctor [--json]   what this machine offers io_uring; exit 1 if no ring
 *   ringcore trace F.jsonl [-o out.html]
 *                              a RINGCORE_TRACE=F.jsonl trace as an HTML timeline
 *   ringcore --help            usage
 *
 * Subcommands are imported lazily, so `--help` works even when the native addon is
 * not built; a missing addon is reported as such rather than as a stack trace.
 *
 * May touch: process.argv, stdout/stderr, process.exitCode; whatever the chosen
 * subcommand touches (doctor: /proc, one short-lived ring of its own; trace: reads
 * the trace, writes the page).
 */

const USAGE = `Usage: ringcore <command> [options]

Commands:
  doctor [--json]   Report Node, kernel, io_uring sysctls and memlock limit, try to
                    create a ring, and list its setup flags, features, sizes and the
                    opcodes this kernel supports.  Exit code 1 if no ring can be made.
                    --json prints the same report as JSON.
  trace <file.jsonl> [-o <out.html>]
                    Draw a trace recorded with RINGCORE_TRACE=<file.jsonl> as one
                    self-contained HTML page (no network): ring turns, SQEs per
                    io_uring_enter, each op from SQE to CQE, in-flight count.
                    Default output: the trace's path with .html for .jsonl.

Options:
  -h, --help        Show this help.

Environment:
  RINGCORE_TRACE=1  Print every SQE, CQE and io_uring_enter on stderr.
  RINGCORE_TRACE=f.jsonl
                    Write them, with timestamps, as JSON lines to f.jsonl.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'doctor': {
      let json = false;
      for (const arg of rest) {
        if (arg === '--json') json = true;
        else if (arg === '-h' || arg === '--help') {
          process.stdout.write(USAGE);
          return 0;
        } else {
          process.stderr.write(`ringcore doctor: unknown option '${arg}'\n\n${USAGE}`);
          return 2;
        }
      }
      const { doctor } = await import('./runtime/doctor.js');
      return doctor({ json });
    }
    case 'trace': {
      let input: string | undefined;
      let output: string | undefined;
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg === '-h' || arg === '--help') {
          process.stdout.write(USAGE);
          return 0;
        } else if (arg === '-o' || arg === '--output') {
          output = rest[++i];
          if (output === undefined || output === '') {
            process.stderr.write(`ringcore trace: ${arg} needs a file name\n\n${USAGE}`);
            return 2;
          }
        } else if (arg.startsWith('-') && arg !== '-') {
          process.stderr.write(`ringcore trace: unknown option '${arg}'\n\n${USAGE}`);
          return 2;
        } else if (input === undefined) {
          input = arg;
        } else {
          process.stderr.write(`ringcore trace: one trace file at a time ('${arg}')\n\n${USAGE}`);
          return 2;
        }
      }
      if (input === undefined) {
        process.stderr.write(`ringcore trace: which trace? (a file recorded with RINGCORE_TRACE=file.jsonl)\n\n${USAGE}`);
        return 2;
      }
      // The timeline imports no native code: it works where the addon is missing.
      const { readFileSync, writeFileSync } = await import('node:fs');
      const { basename } = await import('node:path');
      const { parseTrace, renderTimeline } = await import('./runtime/timeline.js');
      let text: string;
      try {
        text = readFileSync(input === '-' ? 0 : input, 'utf8');
      } catch (e) {
        process.stderr.write(`ringcore trace: cannot read '${input}': ${(e as Error).message}\n`);
        return 1;
      }
      let events;
      try {
        events = parseTrace(text);
      } catch (e) {
        process.stderr.write(`ringcore trace: ${input}: ${(e as Error).message}\n`);
        return 1;
      }
      const out = output ?? (input === '-' ? 'trace.html' : input.replace(/\.jsonl$/, '') + '.html');
      const { html, summary } = renderTimeline(events, { title: `RingCore trace: ${basename(input)}` });
      writeFileSync(out, html);
      process.stdout.write(
        `${out}: ${summary.rings} ring(s), ${summary.sqes} SQEs, ${summary.enters} enters, ${summary.cqes} CQEs, ` +
          `max ${summary.maxInFlight} in flight\n`,
      );
      return 0;
    }
    default:
      process.stderr.write(`ringcore: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as Error & { code?: string };
    // The addon is loaded when the runtime is first imported; its error says what to do.
    if (err?.code === 'ERR_RINGCORE_NO_ADDON') process.stderr.write(`ringcore: ${err.message}\n`);
    else process.stderr.write(`ringcore: ${err?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
