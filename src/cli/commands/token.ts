import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { UsageError } from '../../domain/errors.js';
import { parseDuration } from '../../domain/duration.js';
import { issueToken, isExpired } from '../../services/tokens.js';
import { parseCommand, print, printTable } from '../io.js';
import { requireUser } from './key.js';
import { parseIdArg, parseTextOption } from '../values.js';

/** The longest token label taken (it is shown in `ferry token list`). */
const MAX_LABEL = 255;

export async function tokenCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseCommand(
        rest,
        { 'read-only': { type: 'boolean' }, label: { type: 'string' }, expires: { type: 'string' } },
        `${FERRY} token add USER [--read-only] [--label TEXT] [--expires DURATION]`,
        { min: 1, max: 1 },
      );
      const user = await requireUser(app, positionals[0] as string);
      const { token, record } = await issueToken(app.stores.tokens, user.id, {
        readOnly: values['read-only'] === true,
        label: values.label === undefined ? '' : parseTextOption('label', values.label, MAX_LABEL),
        ...(values.expires !== undefined ? { expiresInMs: parseDuration(values.expires, '12h, 30d or 90d (from 1h to 3660d)') } : {}),
      });
      const expiry = record.expiresAt ? `, expires ${record.expiresAt}` : '';
      process.stderr.write(`token ${record.id} for ${user.name}${record.readOnly ? ' (read-only)' : ''}${expiry}; it is shown only once:\n`);
      print(token);
      return 0;
    }
    case 'list': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} token list USER`, { min: 1, max: 1 });
      const user = await requireUser(app, positionals[0] as string);
      const tokens = await app.stores.tokens.listForUser(user.id);
      printTable(
        ['ID', 'ACCESS', 'CREATED', 'EXPIRES', 'LAST USED', 'LABEL'],
        tokens.map((t) => [
          String(t.id),
          t.readOnly ? 'read-only' : 'read-write',
          t.createdAt,
          t.expiresAt === null ? 'never' : `${t.expiresAt}${isExpired(t) ? ' (expired)' : ''}`,
          t.lastUsedAt ?? 'never',
          t.label,
        ]),
      );
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} token rm USER ID`, { min: 2, max: 2 });
      const user = await requireUser(app, positionals[0] as string);
      const id = parseIdArg(positionals[1] as string, 'the token id', `${FERRY} token list ${user.name}`);
      await app.stores.tokens.remove(user.id, id);
      print(`removed token ${id} of ${user.name}`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${FERRY} token add USER [--read-only] [--label TEXT] [--expires DURATION] | ${FERRY} token list USER | ${FERRY} token rm USER ID`);
  }
}
