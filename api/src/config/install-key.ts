import { randomBytes, createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The install key: the HMAC key that turns secret values into keyed hashes.
 * From DRIFTLINE_INSTALL_KEY (hex or base64, for several replicas), else
 * generated once into <dataDir>/install.key (mode 0600).
 */
export function loadInstallKey(dataDir: string, fromEnv?: string): Buffer {
  if (fromEnv) {
    const key = /^[0-9a-f]{64,}$/i.test(fromEnv) ? Buffer.from(fromEnv, 'hex') : Buffer.from(fromEnv, 'base64');
    if (key.length < 32) throw new Error('DRIFTLINE_INSTALL_KEY must hold at least 32 bytes (64 hex characters)');
    return key;
  }
  const path = join(dataDir, 'install.key');
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

/** A public fingerprint of the key, stored in the database to detect a replica with a different key. */
export function installKeyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('driftline-install-key-fingerprint').digest('hex').slice(0, 16);
}
