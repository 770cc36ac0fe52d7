/**
 * What a commit message says about the change request it came from and who co-wrote it.
 *
 * Rules, strongest first (the first that matches wins):
 * 1. GitHub merge commit subject: "Merge pull request #123 from owner/branch".
 * 2. GitLab merge commit: a line "See merge request group/project!45" or "See merge request !45".
 * 3. A trailer line "PR: #12", "Pull-Request: #12" or "Pull-Request: <URL>" (also "Merge-Request:";
 *    a URL with /pull/N is a GitHub PR, with /merge_requests/N a GitLab MR).
 * 4. GitHub squash merge: "(#123)" at the very end of the subject.
 *
 * Deliberately NOT a PR: "#12" anywhere else, e.g. "fix #12 issue reference", "Closes #12" or
 * "Revert (#12) partially". On GitHub a bare "#N" mid-sentence references an issue at least as often
 * as a PR, and "(#N)" lines in a squash body are the PRs of the squashed commits, not this one.
 * A revert subject `Revert "Add x (#12)"` ends with a quote, so it does not claim #12 either.
 */

export interface PullRequestRef {
  number: number;
  kind: 'github-pr' | 'gitlab-mr';
}

export interface CoAuthor {
  name: string;
  email: string;
}

const MAX_NUMBER = 999_999_999;

function ref(digits: string | undefined, kind: PullRequestRef['kind']): PullRequestRef | null {
  if (digits === undefined) return null;
  const number = Number.parseInt(digits, 10);
  return number > 0 && number <= MAX_NUMBER ? { number, kind } : null;
}

const GITHUB_MERGE = /^Merge pull request #(\d{1,9}) from \S/;
const GITLAB_SEE_MR = /^\s*See merge request (?:[\w.-]+(?:\/[\w.-]+)*)?!(\d{1,9})\s*$/m;
const TRAILER = /^(?:PR|Pull[- ]Request|Merge[- ]Request|MR)\s*:\s*(.+?)\s*$/gim;
const SQUASH_SUFFIX = /\(#(\d{1,9})\)\s*$/;

function fromTrailerValue(value: string, key: string): PullRequestRef | null {
  const url = /^https?:\/\/\S+?\/(pull|pulls|merge_requests)\/(\d{1,9})(?:[/?#]\S*)?$/i.exec(value);
  if (url) return ref(url[2], url[1]?.toLowerCase() === 'merge_requests' ? 'gitlab-mr' : 'github-pr');
  const bang = /^(?:[\w.-]+(?:\/[\w.-]+)*)?!(\d{1,9})$/.exec(value);
  if (bang) return ref(bang[1], 'gitlab-mr');
  const hash = /^#?(\d{1,9})$/.exec(value);
  if (hash) return ref(hash[1], /^m/i.test(key) ? 'gitlab-mr' : 'github-pr');
  return null;
}

/**
 * The PR/MR a commit belongs to, from its subject and full message (`body` may include the subject,
 * as `%B` does). Null when the message names none by the rules above.
 */
export function extractPullRequest(subject: string, body = ''): PullRequestRef | null {
  const firstLine = subject.split('\n', 1)[0] ?? '';
  const github = GITHUB_MERGE.exec(firstLine);
  if (github) return ref(github[1], 'github-pr');

  const gitlab = GITLAB_SEE_MR.exec(body);
  if (gitlab) return ref(gitlab[1], 'gitlab-mr');

  for (const match of body.matchAll(TRAILER)) {
    const key = match[0].slice(0, match[0].indexOf(':'));
    const found = fromTrailerValue(match[1] ?? '', key.trim());
    if (found) return found;
  }

  const squash = SQUASH_SUFFIX.exec(firstLine);
  if (squash) return ref(squash[1], 'github-pr');
  return null;
}

const CO_AUTHOR = /^[ \t]*co-authored-by[ \t]*:[ \t]*(.*?)[ \t]*<([^<>\s]+)>[ \t]*$/gim;

/** Co-authors from "Co-authored-by: Name <email>" lines (any case), in order, without duplicate emails. */
export function extractCoAuthors(body: string): CoAuthor[] {
  const seen = new Set<string>();
  const out: CoAuthor[] = [];
  for (const match of body.matchAll(CO_AUTHOR)) {
    const email = match[2] ?? '';
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: (match[1] ?? '').trim(), email });
  }
  return out;
}
