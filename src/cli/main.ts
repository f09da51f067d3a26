import { Command } from 'commander';

import { registerDemoCommand } from './demo-command.js';
import { registerOrgCommands } from './org-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerSimulateCommand } from './simulate-command.js';

const program = new Command()
  .name('datastreamer')
  .description("Delivers each organisation's usage records and events into its own S3 bucket, Kinesis stream or HTTPS endpoint.")
  .showHelpAfterError();

registerServeCommand(program);
registerOrgCommands(program);
registerSimulateCommand(program);
registerDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`datastreamer: ${describeFailure(error)}`);
  if (process.env.DATASTREAMER_LOG_LEVEL === 'debug') console.error(error);
  process.exit(1);
}

/** Turns a failure into one line for the terminal, with a hint where the fix is known. */
function describeFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);

  if (code === 'EADDRINUSE') return `${message}. Another process uses that port; set DATASTREAMER_PORT to a free one.`;
  if (code === 'EACCES') return `${message}. Choose a port above 1023 with DATASTREAMER_PORT, or run with the needed privileges.`;
  return message;
}
