import type { App } from '../../main.js';
import { resolveDataDir } from '../../config/load.js';
import { httpUrlBase, publicHost, sshConfigAlias, sshUrlBase } from '../../config/public-host.js';
import { bootstrapAdmin } from '../../services/bootstrap.js';
import { describeCloneBundleBase } from '../../ssh/clone-bundle-base.js';
import { startServers } from '../../server/run.js';
import { parseCommand, print, printErr } from '../io.js';
import { FERRY, hasDataFlag, shellWord } from '../invocation.js';

/**
 * ` --data DIR` for hints, left out when DIR is what the CLI finds by itself from here, or when
 * FERRY already names it (`--data` was given).
 */
function dataOption(dataDir: string): string {
  if (hasDataFlag()) return '';
  return dataDir === resolveDataDir(undefined, process.env) ? '' : ` --data ${shellWord(dataDir)}`;
}

export async function serveCommand(app: App, args: string[]): Promise<number> {
  parseCommand(args, {}, `${FERRY} serve`, { min: 0, max: 0 });
  const outcome = await bootstrapAdmin(app.stores, app.config.bootstrap.admin_keys);
  if (outcome.kind === 'created-admin') print(`ferry: created user admin with ${outcome.keys} key(s) from [bootstrap] admin_keys`);
  if (outcome.kind === 'no-users') {
    const cli = `${FERRY}${dataOption(app.config.dataDir)}`;
    printErr('ferry: no users yet. Add the first admin (in another terminal, from this directory) with:');
    printErr(`  ${cli} user add admin --admin && ${cli} key add admin ~/.ssh/id_ed25519.pub`);
    printErr('  (or set FERRY_BOOTSTRAP_ADMIN_KEYS to public key lines before the first start)');
  }
  const running = await startServers(app);
  print(`ferry: ssh listening on ${app.config.ssh.listen}:${running.sshPort}`);
  print(`ferry: http listening on ${app.config.http.listen}:${running.httpPort}`);
  if (running.tls) {
    print(`ferry: https only on port ${running.httpPort} (HTTP/2 and HTTP/1.1), certificate serial ${running.tls.serial} valid until ${running.tls.validTo}; kill -HUP ${process.pid} reloads it`);
    process.on('SIGHUP', () => running.reloadTls());
  }
  print(`ferry: data in ${app.config.dataDir}`);
  const host = publicHost(app.config);
  print(`ferry: web pages at ${httpUrlBase(app.config, running.httpPort)}/; clone with hg clone ${sshUrlBase(host, running.sshPort)}/PATH`);
  print(`ferry: ~/.ssh/config lines for this server: Host ${sshConfigAlias(host)} / HostName ${host.replace(/[[\]]/g, '')} / Port ${running.sshPort}`);
  if (app.config.hg.clone_bundle_min_size > 0) print(`ferry: ${describeCloneBundleBase(app.config, running.httpPort)}`);
  print('ferry: ready');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      print(`ferry: ${signal}: finishing transfers in flight (up to ${app.config.limits.shutdown_grace / 1000}s), accepting no new ones`);
      void running.stop(app.config.limits.shutdown_grace).then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  print('ferry: stopped');
  return 0;
}
