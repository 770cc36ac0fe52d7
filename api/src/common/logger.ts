import pino, { Logger } from 'pino';

/** Structured JSON logs. Never console.log in the service. */
export function createLogger(opts: { level?: string; name?: string; destination?: number } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'driftline',
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.token', '*.password'],
        censor: '****',
      },
    },
    pino.destination({ dest: opts.destination ?? 1, sync: false }),
  );
}
