import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFile, CatFileError, type CatFileObject } from '../../../api/src/git/reader/cat-file';
import { lsTree } from '../../../api/src/git/reader/log-stream';
import { GitRepoBuilder } from '../../support/git-repo-builder';

/** Git's blob id of `content`. */
function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

describe('CatFile', () => {
  let repo: GitRepoBuilder;
  const contents = new Map<string, Buffer>();
  // Binary with every byte value, LFs and NULs, large enough to span many stdout chunks.
  const binary = Buffer.alloc(300_000);
  for (let i = 0; i < binary.length; i += 1) binary[i] = (i * 7919) % 256;
  const big = Buffer.from('x'.repeat(200_000) + '\n');

  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 500; i += 1) {
      // Varied sizes, including empty and contents that look like cat-file headers.
      const text = i % 50 === 0 ? '' : `${'0'.repeat(40)} blob 12\nfile ${i}\n${'line\n'.repeat(i % 37)}`;
      files[`blobs/f${i}.txt`] = Buffer.from(text);
    }
    files['bin/data.bin'] = binary;
    files['big/big.txt'] = big;
    await repo.commit({ files });
    for (const entry of await lsTree(repo.dir, 'HEAD')) {
      const content = files[entry.path]!;
      contents.set(entry.sha, content);
    }
  });
  afterAll(() => repo.cleanup());

  it('pipelines 500+ reads and returns each content byte-exact, in order', async () => {
    const cat = new CatFile(repo.dir);
    try {
      const shas = [...contents.keys()];
      const results = await cat.readMany(shas);
      expect(results).toHaveLength(shas.length);
      results.forEach((r, i) => {
        const obj = r as CatFileObject;
        expect(obj.sha).toBe(shas[i]);
        expect(obj.type).toBe('blob');
        expect(obj.size).toBe(contents.get(shas[i]!)!.length);
        expect(obj.content.equals(contents.get(shas[i]!)!)).toBe(true);
      });
      expect(cat.inFlight).toBe(0);
    } finally {
      await cat.close();
    }
  });

  it('reads a binary blob byte-exact and reports a missing object', async () => {
    const cat = new CatFile(repo.dir);
    try {
      const missing = 'f'.repeat(40);
      const [bin, gone, again] = await Promise.all([cat.read(blobId(binary)), cat.read(missing), cat.read(blobId(binary))]);
      expect((bin as CatFileObject).content.equals(binary)).toBe(true);
      expect(gone).toEqual({ sha: missing, missing: true });
      expect((again as CatFileObject).size).toBe(binary.length);
      await expect(cat.read('HEAD')).rejects.toBeInstanceOf(CatFileError);
    } finally {
      await cat.close();
    }
  });

  it('skips the content of objects over maxBytes without losing the stream position', async () => {
    const cat = new CatFile(repo.dir, { maxBytes: 100_000 });
    try {
      const small = [...contents.entries()].find(([, c]) => c.length > 10 && c.length < 1000)!;
      const [a, large, b, bin] = await Promise.all([
        cat.read(small[0]),
        cat.read(blobId(big)),
        cat.read(small[0]),
        cat.read(blobId(binary)),
      ]);
      expect((a as CatFileObject).content.equals(small[1])).toBe(true);
      expect(large).toEqual({ sha: blobId(big), type: 'blob', tooLarge: true, size: big.length });
      expect((b as CatFileObject).content.equals(small[1])).toBe(true);
      expect(bin).toMatchObject({ tooLarge: true, size: binary.length });
    } finally {
      await cat.close();
    }
  });

  it('fails in-flight reads when git dies and restarts on the next read', async () => {
    const cat = new CatFile(repo.dir);
    try {
      const shas = [...contents.keys()];
      await cat.read(shas[0]!);
      const firstPid = cat.pid!;
      const inFlight = shas.map((s) => cat.read(s));
      inFlight.push(cat.read(blobId(binary)), cat.read(blobId(binary)));
      process.kill(firstPid, 'SIGKILL');
      const settled = await Promise.allSettled(inFlight);
      const rejected = settled.filter((s) => s.status === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      const reason = (rejected[0] as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(CatFileError);
      expect(reason.message).toMatch(/git cat-file was killed by SIGKILL/);
      // Whatever was answered before the kill is correct.
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled' && i < shas.length) {
          expect((s.value as CatFileObject).content.equals(contents.get(shas[i]!)!)).toBe(true);
        }
      });

      const after = (await cat.read(blobId(binary))) as CatFileObject;
      expect(after.content.equals(binary)).toBe(true);
      expect(cat.pid).not.toBe(firstPid);
    } finally {
      await cat.close();
    }
  });

  it('finishes pending reads on close and refuses new ones', async () => {
    const cat = new CatFile(repo.dir);
    const pending = cat.read(blobId(binary));
    await cat.close();
    expect(((await pending) as CatFileObject).content.equals(binary)).toBe(true);
    await expect(cat.read(blobId(binary))).rejects.toThrow(/closed/);
  });
});
