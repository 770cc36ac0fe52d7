import type { Command, Option } from 'commander';
import type { ConfigEnv } from '../config/load';

export interface CliContext {
  env: ConfigEnv;
  setExitCode(code: number): void;
  serve(o: { config?: string; port?: number; host?: string }): Promise<number>;
}

/** Commands of the feature contexts (index, snapshot, watch, drift, report, demo, …) register here. */
export function registerCommands(_program: Command, _ctx: CliContext, _withConfig: (c: Command) => Command): void {
  void (_program as unknown as Option);
}
