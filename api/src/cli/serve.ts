import { serve } from '../server';
import type { ConfigEnv } from '../config/load';

/** `driftline serve`: runs until SIGTERM/SIGINT, then shuts down within 10 s. */
export async function runServe(o: { config?: string; port?: number; host?: string; demo?: boolean; simPort?: number }, env: ConfigEnv): Promise<number> {
  const server = await serve({ configPath: o.config, port: o.port, host: o.host, env, demo: o.demo, simPort: o.simPort });
  if (server.demo) {
    process.stderr.write(
      `\nDriftline demo: open http://localhost:${server.port}/#token=${server.demoToken}\n` +
        `  (that link signs you in as the demo's admin; the token works until the next start)\n` +
        `  repository:         ${server.demo.loaded.config.repositories[0]!.path}\n` +
        `  simulated cluster:  ${server.demo.sim.url} (kubeconfig: ${server.demo.loaded.config.clusters[0]!.kubeconfig})\n` +
        `  try: kubectl --kubeconfig ${server.demo.loaded.config.clusters[0]!.kubeconfig} -n shop-prod scale deployment/web --replicas=9\n\n`,
    );
  }
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
