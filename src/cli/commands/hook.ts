import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { NotFoundError, UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import type { Repo, Webhook, WebhookDelivery } from '../../store/types.js';
import { parseCommand, print, printTable } from '../io.js';
import { parseIdArg } from '../values.js';

const USAGE = [
  `${FERRY} hook add PATH URL [--secret S] [--events push,create,delete,repository]`,
  `${FERRY} hook list PATH`,
  `${FERRY} hook rm PATH ID`,
  `${FERRY} hook deliveries PATH ID [--full]`,
  `${FERRY} hook redeliver PATH DELIVERY`,
];

/** `ferry hook …`: a repo's outbound webhooks (docs/webhooks.md). */
export async function hookCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseCommand(rest, { secret: { type: 'string' }, events: { type: 'string' } }, USAGE[0] as string, { min: 2, max: 2 }, {
        secret: 'leave --secret out for a hook whose deliveries are not signed, or give the secret the receiver checks',
        events: 'name one or more of push,create,delete,repository, or leave --events out for push,create,delete',
      });
      const repo = await requireRepo(app, positionals[0] as string);
      const hook = await app.webhooks.add(repo, {
        url: positionals[1] as string,
        ...(values.secret !== undefined ? { secret: values.secret } : {}),
        ...(values.events !== undefined ? { events: [values.events] } : {}),
      });
      print(`added webhook ${hook.id} to ${repo.path}: ${hook.url} (${hook.events.join(',')}${hook.sealedSecret ? ', signed' : ''})`);
      return 0;
    }
    case 'list': {
      const { positionals } = parseCommand(rest, {}, USAGE[1] as string, { min: 1, max: 1 });
      const repo = await requireRepo(app, positionals[0] as string);
      printTable(
        ['ID', 'URL', 'EVENTS', 'SIGNED', 'STATE', 'FAILURES'],
        (await app.webhooks.list(repo)).map((h) => [String(h.id), h.url, h.events.join(','), h.sealedSecret ? 'yes' : 'no', stateOf(h), String(h.failures)]),
      );
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, USAGE[2] as string, { min: 2, max: 2 });
      const repo = await requireRepo(app, positionals[0] as string);
      const id = parseId(positionals[1] as string, 'hook');
      await app.webhooks.remove(repo, id);
      print(`removed webhook ${id} from ${repo.path}`);
      return 0;
    }
    case 'deliveries': {
      const { values, positionals } = parseCommand(rest, { full: { type: 'boolean' } }, USAGE[3] as string, { min: 2, max: 2 });
      const repo = await requireRepo(app, positionals[0] as string);
      const deliveries = await app.webhooks.deliveries(repo, parseId(positionals[1] as string, 'hook'));
      if (values.full === true) {
        for (const d of deliveries) print(JSON.stringify(fullDelivery(d)));
        return 0;
      }
      printTable(
        ['DELIVERY', 'GUID', 'EVENT', 'STATE', 'ATTEMPTS', 'STATUS', 'AT', 'ERROR'],
        deliveries.map((d) => [String(d.id), d.guid, d.event, d.state, String(d.attempts), d.responseStatus === null ? '-' : String(d.responseStatus), d.deliveredAt ?? d.createdAt, d.error ?? '']),
      );
      return 0;
    }
    case 'redeliver': {
      const { positionals } = parseCommand(rest, {}, USAGE[4] as string, { min: 2, max: 2 });
      const repo = await requireRepo(app, positionals[0] as string);
      const queued = await app.webhooks.redeliver(repo, parseId(positionals[1] as string, 'delivery'));
      print(`queued delivery ${queued.id} (again ${queued.guid}); a running ferry serve sends it`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE.join(' | ')}`);
  }
}

function stateOf(h: Webhook): string {
  if (h.disabledAt !== null) return `disabled since ${h.disabledAt} (too many failures; redeliver or re-add)`;
  return h.active ? 'active' : 'inactive';
}

/** A delivery with its request and response, bodies as sent and (truncated) as answered. */
export function fullDelivery(d: WebhookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    guid: d.guid,
    event: d.event,
    state: d.state,
    attempts: d.attempts,
    redelivery_of: d.redeliveryOf,
    created_at: d.createdAt,
    delivered_at: d.deliveredAt,
    duration_ms: d.durationMs,
    error: d.error,
    request: { headers: d.requestHeaders, body: d.payload },
    response: { status: d.responseStatus, headers: d.responseHeaders, body: d.responseBody },
  };
}

function parseId(input: string, what: 'hook' | 'delivery'): number {
  return parseIdArg(input, `the ${what} id`, what === 'hook' ? `${FERRY} hook list PATH` : `${FERRY} hook deliveries PATH HOOK`);
}

async function requireRepo(app: App, input: string): Promise<Repo> {
  const path = parseRepoPath(input);
  const repo = await app.stores.repos.byPath(path);
  if (!repo) throw new NotFoundError(`no repository at ${path}; see ${FERRY} repo list`, 'FERRY_REPO_NOT_FOUND');
  return repo;
}
