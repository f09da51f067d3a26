import type { Command } from 'commander';

import { issueApplicationToken } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { openStorage } from '../storage/index.js';

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('Manage organisations (operator).');

  org
    .command('create')
    .description('Create an organisation and print its id and first application token.')
    .requiredOption('--name <name>', 'organisation name')
    .option('--json', 'print the result as JSON')
    .action((options: { name: string; json?: boolean }) => {
      const name = options.name.trim();
      if (name === '' || name.length > 255) {
        program.error(`--name must be 1 to 255 characters, got "${options.name}".`);
      }

      const storage = openStorage(loadConfig().databasePath);
      try {
        const organisation = storage.createOrganisation(name);
        const { token } = issueApplicationToken(storage, organisation.id, 'first token');

        if (options.json) {
          console.log(JSON.stringify({ id: organisation.id, name: organisation.name, application_token: token }));
        } else {
          console.log(`organisation id:    ${organisation.id}`);
          console.log(`name:               ${organisation.name}`);
          console.log(`external id:        org-${organisation.id}`);
          console.log(`application token:  ${token}`);
          console.log('The token is shown only once. Exchange it with POST /api/v1/authenticate.');
        }
      } finally {
        storage.close();
      }
    });
}
