import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import compression from 'compression';
import type { DriftlineConfig } from '../config/schema';

/**
 * Content Security Policy for the two UIs this server hands out:
 * - the built Vue app: module scripts and stylesheets from /assets (same origin),
 *   inline style attributes from bindings, a data: favicon, XHR/EventSource to itself;
 * - Swagger UI at /api/docs: its bundle and init script are files under /api/docs
 *   (no inline script), but the page has inline <style> blocks and data: SVG icons.
 * No inline or eval'd script is allowed anywhere. upgrade-insecure-requests is
 * left out so a plain-http install (port-forward, internal Service) still loads.
 */
export const CSP_DIRECTIVES: Record<string, string[] | null> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  scriptSrcAttr: ["'none'"],
  upgradeInsecureRequests: null,
};

export function applySecurityHeaders(app: NestExpressApplication): void {
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES } }));
}

/** CORS only for the origins listed in server.cors.origins; otherwise no CORS headers at all. */
export function applyCors(app: NestExpressApplication, config: DriftlineConfig): void {
  const origins = (config.server.cors?.origins ?? []).map((o) => o.replace(/\/+$/, ''));
  if (!origins.length) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Disposition'],
    maxAge: 600,
  });
}

/**
 * gzip for answers over 8 KiB when the client accepts it: a 24 h timeline of a
 * busy environment is megabytes of JSON that shrink ~10×. Level 1: most of the
 * saving for a fraction of the CPU, which the API needs under load. Never the
 * server-sent event stream (compression would hold events back until a buffer
 * fills) and never files that are compressed already (PDF reports).
 */
export function applyCompression(app: NestExpressApplication): void {
  app.use(
    compression({
      threshold: 8 * 1024,
      level: 1,
      filter: (req, res) => {
        const type = String(res.getHeader('Content-Type') ?? '');
        if (type.startsWith('text/event-stream') || type.startsWith('application/pdf')) return false;
        return compression.filter(req, res);
      },
    }),
  );
}
