#!/usr/bin/env node
// Writes the generated pages of docs/ from the registries (run `npm run build` first):
// docs/configuration.md from src/config/schema.ts, docs/cli.md from src/cli/help.ts.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../dist/src/config/reference.js';
import { cliReference } from '../dist/src/cli/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationReference());
writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReference());
console.log('ferry: wrote docs/configuration.md and docs/cli.md');
