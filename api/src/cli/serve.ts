import { serve } from '../server';
import type { ConfigEnv } from '../config/load';

/** `driftline serve`: runs until SIGTERM/SIGINT, then shuts down within 10 s. */
export async function runServe(o: { config?: string; port?: number; host?: string }, env: ConfigEnv): Promise<number> {
  const server = await serve({ configPath: o.config, port: o.port, host: o.host, env });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      const timer = setTimeout(() => {
        process.stderr.write(`driftline: shutdown took longer than 10 s after ${signal}; exiting\n`);
        process.exit(1);
      }, 10_000);
      timer.unref();
      server.close().finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
