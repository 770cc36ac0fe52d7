import { reactive, watch, type Ref } from 'vue';
import { api } from '../api/client';

export interface RenderStatus {
  render: string;
  entries: number;
  problemCount: number;
  /** The commit of the newest render with problems, to link to its detail. */
  problemCommit: string | null;
  /** The problems in one line, for a tooltip. */
  problemTitle: string;
}

/**
 * Rendering status (render: kustomize | auto) of environments now: entries in effect and their
 * problems. Plain environments and failed reads are left out (the card shows nothing extra).
 */
export function useRenderStatus(names: Ref<string[]>) {
  const out = reactive<Record<string, RenderStatus>>({});
  watch(
    names,
    async (list) => {
      await Promise.all(
        list.map(async (env) => {
          const r = await api.GET('/api/v1/environments/{env}/renders', { params: { path: { env } } }).catch(() => null);
          const d = r?.data;
          if (!d || d.render === 'plain') return;
          const failing = d.entries.filter((e) => e.problems.length).sort((a, b) => b.committedAt.localeCompare(a.committedAt));
          out[env] = {
            render: d.render,
            entries: d.entries.length,
            problemCount: d.problemCount,
            problemCommit: failing[0]?.commit ?? null,
            problemTitle: failing.flatMap((e) => e.problems.map((p) => `${p.file}${p.field ? ` ${p.field}` : ''}: ${p.message}`)).join('\n'),
          };
        }),
      );
    },
    { immediate: true },
  );
  return out;
}
