#!/usr/bin/env node
/**
 * The `ringcore` command (package.json "bin"): dispatches subcommands.
 *
 *   ringcore doctor [--json]   what this machine offers io_uring; exit 1 if no ring
 *   ringcore --help            usage
 *
 * Subcommands are imported lazily, so `--help` works even when the native addon is
 * not built; a missing addon is reported as such rather than as a stack trace.
 *
 * May touch: process.argv, stdout/stderr, process.exitCode; whatever the chosen
 * subcommand touches (doctor: /proc, one short-lived ring of its own).
 */

const USAGE = `Usage: ringcore <command> [options]

Commands:
  doctor [--json]   Report Node, kernel, io_uring sysctls and memlock limit, try to
                    create a ring, and list its setup flags, features, sizes and the
                    opcodes this kernel supports.  Exit code 1 if no ring can be made.
                    --json prints the same report as JSON.

Options:
  -h, --help        Show this help.

Environment:
  RINGCORE_TRACE=1  Print every SQE, CQE and io_uring_enter on stderr.
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
