#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { loadConfig, ConfigEnv } from '../config/load';
import { createLogger } from '../common/logger';
import type * as OpenModule from '../db/open';
// openapi and serve build the whole Nest application: loaded only by the commands that need it,
// so `driftline version`, `--help` and the batch commands start fast and small.
import type * as OpenApiModule from './openapi';
import type * as ServeModule from './serve';
import { VERSION } from '../version';
import { EXIT, printJson, reportError } from './output';
import { registerCommands, CliContext } from './commands';

const env = process.env as ConfigEnv;
const debug = !!env.DRIFTLINE_DEBUG;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('driftline')
    .description('Driftline: GitOps drift and audit. Git history and live cluster state over time, and where they disagree.')
    .version(VERSION, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  const withConfig = (c: Command) => c.addOption(new Option('-c, --config <file>', 'path to driftline.yaml (default: $DRIFTLINE_CONFIG or ./driftline.yaml)'));

  withConfig(program.command('serve'))
    .description('run the HTTP API, the web app and the background workers')
    .option('-p, --port <port>', 'port to listen on (default: server.port, $PORT or 8080)', (v) => parsePort(v))
    .option('--host <host>', 'address to bind (default 0.0.0.0)')
    .action(async (o: { config?: string; port?: number; host?: string }) => {
      ctx.setExitCode(await ctx.serve(o));
    });

  withConfig(program.command('migrate'))
    .description('apply pending database migrations and exit')
    .option('--json', 'print a JSON summary')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { config } = loadConfig({ configPath: o.config, env });
      const logger = createLogger({ level: o.json ? 'warn' : 'info', destination: 2 });
      const { openDatabase, migrate } = require('../db/open') as typeof OpenModule;
      const db = await openDatabase({ url: config.database.url, dataDir: config.dataDir, logger, migrate: false });
      try {
        const applied = await migrate(db.dataSource, db.kind === 'postgres', logger);
        if (o.json) printJson({ ok: true, applied });
        else process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'schema is up to date\n');
      } finally {
        await db.close();
      }
    });

  const config = program.command('config').description('check or print the configuration');
  withConfig(config.command('validate'))
    .description('validate driftline.yaml: exit 0 when valid, 2 with each problem and its key path')
    .option('--json', 'print the result as JSON')
    .action((o: { config?: string; json?: boolean }) => {
      const loaded = loadConfig({ configPath: o.config, env });
      if (o.json) printJson({ ok: true, source: loaded.source, environments: loaded.config.environments.length });
      else process.stdout.write(`${loaded.source ?? '(no configuration file: defaults)'}: valid\n`);
    });
  withConfig(config.command('show'))
    .description('print the configuration as Driftline reads it, secrets masked')
    .action((o: { config?: string }) => {
      printJson(loadConfig({ configPath: o.config, env }).masked);
    });

  program
    .command('version')
    .description('print the version')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) printJson({ version: VERSION, node: process.version });
      else process.stdout.write(`driftline ${VERSION} (node ${process.version})\n`);
    });

  program
    .command('openapi')
    .description('write the OpenAPI document (what /api/docs-json serves) to a file or stdout')
    .option('-o, --output <file>', 'file to write')
    .action(async (o: { output?: string }) => {
      const { writeOpenApi } = require('./openapi') as typeof OpenApiModule;
      const doc = await writeOpenApi();
      if (o.output) writeFileSync(o.output, doc);
      else process.stdout.write(doc);
    });

  registerCommands(program, ctx, withConfig);
  return program;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CommanderError(EXIT.error, 'driftline.invalidPort', `--port: expected a port number, got "${v}"`);
  return n;
}

export async function main(argv = process.argv): Promise<number> {
  let exitCode: number = EXIT.ok;
  const ctx: CliContext = {
    env,
    setExitCode: (c) => (exitCode = c),
    serve: (o) => (require('./serve') as typeof ServeModule).runServe(o, env),
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; every usage error exits 2.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.error;
    }
    const json = argv.includes('--json');
    return reportError(e, json, debug);
  }
}

if (require.main === module || process.argv[1]?.endsWith('driftline.js') || process.argv[1]?.endsWith('driftline')) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, false, debug);
    },
  );
}
