/**
 * Reading throughput of the git reader over a repository (e.g. one made by bench/git-index/generate.ts):
 * one `git log --raw` stream, then every distinct blob through one pipelined `git cat-file --batch`.
 * Prints figures; asserts nothing.
 *
 *   npm run build -w api && node bench/support/git-read-timing.ts <repo>
 *
 * Measured on the 2-core machine over a generated 20,000-commit repo: log ~1.0 s (20k commits/s),
 * cat-file ~66,000 blobs/s (22,299 blobs, 20 MB).
 */
import { createRequire } from 'node:module';

// The compiled reader (api/src uses decorators and extensionless imports, which type stripping cannot run).
const require = createRequire(import.meta.url);
const { CatFile } = require('../../api/dist/api/src/git/reader/cat-file.js') as typeof import('../../api/src/git/reader/cat-file.ts');
const { streamLog } = require('../../api/dist/api/src/git/reader/log-stream.js') as typeof import('../../api/src/git/reader/log-stream.ts');

async function main(dir: string): Promise<void> {
  let t = performance.now();
  let commits = 0;
  let changes = 0;
  const blobs = new Set<string>();
  for await (const c of streamLog(dir, { range: 'HEAD', reverse: true })) {
    commits += 1;
    changes += c.files.length;
    for (const f of c.files) if (f.newBlob) blobs.add(f.newBlob);
  }
  const logSeconds = (performance.now() - t) / 1000;
  process.stdout.write(`log: ${commits} commits, ${changes} changes in ${logSeconds.toFixed(2)}s (${Math.round(commits / logSeconds)} commits/s)\n`);

  const cat = new CatFile(dir, { maxBytes: 1 << 20 });
  t = performance.now();
  let bytes = 0;
  const all = [...blobs];
  const window = 2000; // bound the memory held by answers not consumed yet
  for (let i = 0; i < all.length; i += window) {
    for (const r of await cat.readMany(all.slice(i, i + window))) if ('content' in r) bytes += r.content.length;
  }
  await cat.close();
  const catSeconds = (performance.now() - t) / 1000;
  process.stdout.write(
    `cat-file: ${all.length} blobs, ${(bytes / 1e6).toFixed(1)} MB in ${catSeconds.toFixed(2)}s (${Math.round(all.length / catSeconds)} blobs/s)\n`,
  );
}

main(process.argv[2] ?? '.').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
