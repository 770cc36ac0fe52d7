import { CronExpressionParser } from 'cron-parser';
import type { AlertConfig, ChannelConfig, DriftlineConfig } from '../config/schema';
import { DomainError } from '../common/errors';
import { IntervalFilter, ruleFilter } from './plan';

/** A rule from driftline.yaml, checked and ready to evaluate. */
export interface CompiledRule {
  config: AlertConfig;
  name: string;
  filter: IntervalFilter;
  channels: ChannelConfig[];
}

function cron(rule: Pick<AlertConfig, 'schedule' | 'timezone'>, at: Date) {
  return CronExpressionParser.parse(rule.schedule, { currentDate: at, tz: rule.timezone });
}

/** The first schedule occurrence after `from`. */
export function nextRun(rule: Pick<AlertConfig, 'schedule' | 'timezone'>, from: Date): Date {
  return cron(rule, from).next().toDate();
}

/** The latest schedule occurrence at or before `at`: the tick a scheduled job belongs to. */
export function tickAtOrBefore(rule: Pick<AlertConfig, 'schedule' | 'timezone'>, at: Date): Date {
  return cron(rule, new Date(at.getTime() + 1)).prev().toDate();
}

/**
 * Check every rule's schedule and time zone, and resolve its channels. Fails
 * with the rule's key path, so a bad rule stops the process at boot.
 */
export function compileRules(config: Pick<DriftlineConfig, 'alerts' | 'channels'>): CompiledRule[] {
  return config.alerts.map((rule, i) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: rule.timezone });
    } catch {
      throw new DomainError('alerts.bad_timezone', `alerts[${i}].timezone: unknown time zone "${rule.timezone}"`, 400);
    }
    try {
      nextRun(rule, new Date());
    } catch (e) {
      throw new DomainError('alerts.bad_schedule', `alerts[${i}].schedule: "${rule.schedule}" is not a cron expression (${(e as Error).message})`, 400);
    }
    const channels = rule.channels.map((c, j) => {
      const ch = config.channels.find((x) => x.name === c);
      if (!ch) throw new DomainError('alerts.unknown_channel', `alerts[${i}].channels[${j}]: no channel named "${c}"`, 400);
      return ch;
    });
    return { config: rule, name: rule.name, filter: ruleFilter(rule), channels };
  });
}
