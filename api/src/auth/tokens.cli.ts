import { Option, type Command } from 'commander';
import type { CliContext } from '../cli/commands';
import { withRuntime } from '../cli/runtime';
import { cliUser, printJson } from '../cli/output';
import { DomainError } from '../common/errors';
import { parseDuration } from '../config/schema';
import { ROLES } from './principal';
import type * as TokensModule from './tokens.service';

const tokensService = (ds: import('typeorm').DataSource) => new (require('./tokens.service') as typeof TokensModule).TokensService(ds);
const fmt = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** `driftline token create|list|revoke`: API tokens, run by whoever can reach the database (the first admin token comes from here). */
export function registerTokenCommands(program: Command, ctx: CliContext, withConfig: (c: Command) => Command): void {
  const token = program.command('token').description('create, list and revoke API tokens (every API call and the web app need one)');

  withConfig(token.command('create'))
    .description('create a token and print it once (only a scrypt hash is stored)')
    .requiredOption('-n, --name <name>', 'who or what uses it, e.g. alice or ci-reports')
    .addOption(new Option('-r, --role <role>', 'viewer reads; auditor also makes reports; admin also manages tokens and triggers work').choices([...ROLES]).makeOptionMandatory())
    .option('--expires <duration>', 'lifetime such as 12h, 30d or 90d (default: never)')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; name: string; role: string; expires?: string; json?: boolean }) => {
      let expiresInMs: number | null = null;
      if (o.expires) {
        try {
          expiresInMs = parseDuration(o.expires);
        } catch (e) {
          throw new DomainError('token.bad_expiry', `--expires: ${(e as Error).message}`, 400);
        }
      }
      await withRuntime(o, ctx.env, async (rt) => {
        const t = await tokensService(rt.ds).create({ name: o.name, role: o.role, expiresInMs, createdBy: cliUser() });
        if (o.json) return printJson(t);
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`token "${t.name}" (${t.role}, id ${t.id}) ${t.expiresAt ? `expires ${fmt(t.expiresAt)}` : 'does not expire'}; it is shown only now — store it in a secret manager\n`);
      });
    });

  withConfig(token.command('list'))
    .description('list tokens (never the tokens themselves)')
    .option('--all', 'include revoked tokens')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; all?: boolean; json?: boolean }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        const list = await tokensService(rt.ds).list({ all: o.all });
        if (o.json) return printJson(list);
        if (!list.length) return void process.stdout.write('no tokens yet: create one with `driftline token create --name NAME --role admin`\n');
        const rows = [['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE']];
        const now = Date.now();
        for (const t of list) {
          const state = t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt.getTime() <= now ? 'expired' : 'active';
          rows.push([t.id, t.name, t.role, t.prefix, fmt(t.createdAt), fmt(t.expiresAt), fmt(t.lastUsedAt), state]);
        }
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
      });
    });

  withConfig(token.command('revoke'))
    .description('revoke a token by id or name; it and its browser sessions stop working (other replicas: within 5 s)')
    .argument('<id-or-name>')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, o: { config?: string; json?: boolean }) => {
      await withRuntime(o, ctx.env, async (rt) => {
        const t = await tokensService(rt.ds).revoke(idOrName);
        if (o.json) return printJson(t);
        process.stdout.write(`revoked token "${t.name}" (id ${t.id}, ${t.role})\n`);
      });
    });
}
