import { Command, InvalidArgumentError } from 'commander';

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

await program.parseAsync(process.argv);

export { InvalidArgumentError };
