import { describe, expect, it } from 'vitest';
import { extractCoAuthors, extractPullRequest, type PullRequestRef } from '../../../api/src/git/reader/commit-meta';

/** [description, full message (%B), expected]; the subject is the message's first line. */
const cases: Array<[string, string, PullRequestRef | null]> = [
  ['GitHub merge commit', 'Merge pull request #123 from acme/feature-x\n\nAdd the feature\n', { number: 123, kind: 'github-pr' }],
  ['GitHub merge commit from a fork with dots', 'Merge pull request #4521 from some.user/fix.thing', { number: 4521, kind: 'github-pr' }],
  ['GitHub squash merge suffix', 'Bump nginx to 1.27.1 (#88)\n', { number: 88, kind: 'github-pr' }],
  ['squash with a trailing space', 'fix(prod): raise memory limit (#9) ', { number: 9, kind: 'github-pr' }],
  [
    'squash body listing other PRs: only the subject counts',
    'Release train (#300)\n\n* Fix a (#290)\n* Fix b (#291)\n',
    { number: 300, kind: 'github-pr' },
  ],
  ['revert of a squash, itself squashed', 'Revert "Add x (#12)" (#15)', { number: 15, kind: 'github-pr' }],
  ['renovate squash', 'chore(deps): update helm release redis to v19.6.4 (#1042)', { number: 1042, kind: 'github-pr' }],
  [
    'GitLab merge commit with a full project path',
    "Merge branch 'feature/tls' into 'main'\n\nRotate TLS certs\n\nSee merge request platform/infra/gitops!45",
    { number: 45, kind: 'gitlab-mr' },
  ],
  ['GitLab merge commit, short reference', "Merge branch 'x' into 'main'\n\nSee merge request !7\n", { number: 7, kind: 'gitlab-mr' }],
  [
    'GitLab merge commit with trailers after the reference',
    "Merge branch 'a' into 'main'\n\nSee merge request group/proj!451\n\nApproved-by: Jane <jane@example.com>\n",
    { number: 451, kind: 'gitlab-mr' },
  ],
  ['PR trailer with a hash', 'Tune HPA for checkout\n\nPR: #12\n', { number: 12, kind: 'github-pr' }],
  [
    'Pull-Request trailer with a GitHub URL',
    'Tune HPA\n\nPull-Request: https://github.com/o/r/pull/77\n',
    { number: 77, kind: 'github-pr' },
  ],
  [
    'Pull-Request trailer with a GitLab URL',
    'Tune HPA\n\nPull-Request: https://gitlab.example.com/g/p/-/merge_requests/31\n',
    { number: 31, kind: 'gitlab-mr' },
  ],
  ['trailer keys are case-insensitive', 'Tune HPA\n\npull-request: #5\n', { number: 5, kind: 'github-pr' }],
  ['Merge-Request trailer', 'Tune HPA\n\nMerge-Request: !19\n', { number: 19, kind: 'gitlab-mr' }],
  [
    'merge commit beats a trailer',
    'Merge pull request #2 from a/b\n\nPR: #3\n',
    { number: 2, kind: 'github-pr' },
  ],
  ['trailer beats the subject suffix', 'Do a thing (#40)\n\nPR: #41\n', { number: 41, kind: 'github-pr' }],

  // Must not match.
  ['issue reference mid-sentence', 'fix #12 issue reference in configmap', null],
  ['closing keyword', 'Raise limits\n\nCloses #12\nFixes #13\n', null],
  ['parenthesised number not at the end', 'Revert (#12) partially', null],
  ['plain revert of a squash commit', 'Revert "Add x (#12)"\n\nThis reverts commit abc.\n', null],
  ['local merge of a branch', "Merge branch 'main' into feature/x", null],
  ['remote-tracking merge', "Merge remote-tracking branch 'origin/main'", null],
  ['hash without a number', 'Merge pull request #abc from x/y', null],
  ['zero is not a PR', 'Something (#0)', null],
  ['subject suffix only in the body', 'Tune HPA\n\nFollow-up to Add HPA (#50)\n', null],
  ['a PR: line with prose', 'Tune HPA\n\nPR: will follow\n', null],
  ['see merge request prose without a reference', 'Tune\n\nSee merge request discussion\n', null],
  ['a URL to an issue', 'Tune\n\nPull-Request: https://github.com/o/r/issues/77\n', null],
  ['empty message', '', null],
];

describe('extractPullRequest', () => {
  it.each(cases)('%s', (_name, message, expected) => {
    const subject = message.split('\n', 1)[0]!;
    expect(extractPullRequest(subject, message)).toEqual(expected);
  });

  it('works from the subject alone', () => {
    expect(extractPullRequest('Bump api to 2.0.0 (#901)')).toEqual({ number: 901, kind: 'github-pr' });
  });
});

describe('extractCoAuthors', () => {
  it('reads every Co-authored-by trailer, any case, without duplicates', () => {
    const body = [
      'Tune HPA (#4)',
      '',
      '* first commit',
      '',
      'Co-authored-by: Alice Müller <alice@example.com>',
      'co-authored-by: Bob <12345+bob@users.noreply.github.com>',
      'CO-AUTHORED-BY:   Carol   O\'Neil   <carol@example.org>  ',
      'Co-authored-by: Alice M <ALICE@example.com>',
      'Signed-off-by: Dave <dave@example.com>',
    ].join('\n');
    expect(extractCoAuthors(body)).toEqual([
      { name: 'Alice Müller', email: 'alice@example.com' },
      { name: 'Bob', email: '12345+bob@users.noreply.github.com' },
      { name: "Carol   O'Neil", email: 'carol@example.org' },
    ]);
  });

  it('ignores malformed lines and mentions in prose', () => {
    expect(extractCoAuthors('x\n\nCo-authored-by: nobody\nThanks to the Co-authored-by: trailer <a@b>\n')).toEqual([]);
    expect(extractCoAuthors('')).toEqual([]);
  });
});
