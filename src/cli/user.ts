import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import pino from 'pino';
import { createUser } from '../access/index.js';
import type { Database } from '../platform/db/database.js';
import { ROLES, type Role } from '../platform/principal.js';
import { createKeyResolver } from '../platform/workspaces.js';
import { output } from './output.js';
import { withDatabase } from './with-database.js';

/** A generated first password: 18 random bytes, base64url (24 characters). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `siyu user create`: a console user with a role in a workspace. The password comes from stdin
 * (`--password-stdin`) or is generated and printed once; never from an argument, which other users
 * of the machine could read in the process list.
 */
export async function userCreateCommand(
  database: Database,
  opts: { workspace: string; email: string; role: Role; name?: string; wecomUserId?: string; password: string; generated: boolean; json?: boolean },
): Promise<void> {
  const deps = { database, now: () => Date.now(), log: pino({ level: 'silent' }), keys: createKeyResolver(database.db) };
  const r = await createUser(deps, {
    workspaceId: opts.workspace,
    email: opts.email,
    name: opts.name,
    password: opts.password,
    role: opts.role,
    wecomUserId: opts.wecomUserId,
  });
  const shown = r.created && opts.generated ? opts.password : undefined;
  output(
    !!opts.json,
    { ...r.member, created: r.created, ...(shown ? { password: shown } : {}) },
    [
      `${r.created ? 'created' : 'updated'} user ${r.member.email} (${r.member.id}) as ${r.member.role} of ${opts.workspace}`,
      ...(shown ? [`password: ${shown}`, 'It is not shown again; the user can change it in the console.'] : []),
      ...(!r.created ? ['The user already existed: their password is unchanged.'] : []),
    ].join('\n'),
  );
}

/** Registers `siyu user create`. */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Console users: create a user with a role in a workspace');
  user
    .command('create')
    .description('Create a console user (or give an existing one a role in another workspace)')
    .requiredOption('--workspace <id>', 'workspace id (ws_...)')
    .requiredOption('--email <email>', 'the sign-in email')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'operator')
    .option('--name <name>', 'display name')
    .option('--wecom-user-id <userid>', "a guide's WeCom staff id (required for the guide role)")
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--json', 'print as JSON')
    .action(async (opts: { workspace: string; email: string; role: string; name?: string; wecomUserId?: string; passwordStdin?: boolean; json?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new InvalidArgumentError(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`);
      const password = opts.passwordStdin ? await readStdin() : generatePassword();
      await withDatabase((d) => userCreateCommand(d, { ...opts, role: opts.role as Role, password, generated: !opts.passwordStdin }));
    });
}
