/** Injection tokens for the runtime context every module can read. */
export const CONFIG = Symbol('DRIFTLINE_CONFIG');
export const LOGGER = Symbol('DRIFTLINE_LOGGER');
export const INSTALL_KEY = Symbol('DRIFTLINE_INSTALL_KEY');
export const RUNTIME = Symbol('DRIFTLINE_RUNTIME');
