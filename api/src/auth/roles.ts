import { SetMetadata } from '@nestjs/common';
import type { Role } from './principal';

export const PUBLIC_KEY = 'driftline:public';
export const ROLE_KEY = 'driftline:minRole';

/**
 * No credential needed: probes, metrics, the sign-in endpoints, and webhooks
 * that verify their own signature.
 */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * The least role a route needs. Without it: GET (reads) need viewer, every
 * other method needs admin, so a new write endpoint is closed until someone
 * opens it on purpose.
 */
export const MinRole = (role: Role) => SetMetadata(ROLE_KEY, role);
