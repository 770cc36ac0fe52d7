import { DEFAULT_SENSITIVE_RULES, mergeSensitiveRules, SensitiveRules } from '../core/redact';
import type { DriftlineConfig } from './schema';

/** The built-in sensitive patterns plus the ones `sensitive:` in driftline.yaml adds. */
export function sensitiveRulesFrom(config: DriftlineConfig): SensitiveRules {
  const s = config.sensitive;
  if (!s) return DEFAULT_SENSITIVE_RULES;
  return mergeSensitiveRules(DEFAULT_SENSITIVE_RULES, { configMapKeys: s.configMapKeys, envVarNames: s.envNames, annotationKeys: s.annotations });
}
