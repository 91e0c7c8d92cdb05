import type { AccessPolicy } from '../access/policy.js';
import { describeSubject, type Subject } from '../access/subject.js';

/**
 * What a bare `ssh -p 2222 HOST` prints: who the key says you are and what you can reach.
 * `sshBase` is `ssh://HOST:PORT` with the public host name (config/public-host.ts).
 */
export async function whoAmIText(policy: AccessPolicy, subject: Subject, sshBase: string): Promise<string> {
  const repos = await policy.visibleRepos(subject);
  const who = subject.kind === 'user' ? `user ${subject.user.name}${subject.user.isAdmin ? ' (admin)' : ''}` : describeSubject(subject);
  const lines = [`Hi! You are signed in to Ferry as ${who}.`];
  if (repos.length === 0) {
    lines.push('You cannot reach any repository yet.');
  } else {
    lines.push('Repositories you can reach:');
    const width = Math.max(...repos.map((r) => r.repo.path.length));
    for (const { repo, level } of repos) lines.push(`  ${repo.path.padEnd(width)}  ${repo.kind.padEnd(3)}  ${level}`);
  }
  lines.push(`Clone with: hg clone ${sshBase}/PATH  or  git clone ${sshBase}/PATH`);
  lines.push('This server runs no shell.');
  return `${lines.join('\n')}\n`;
}
