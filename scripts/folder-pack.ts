// A folder of files in one file: the test fixtures keep a 6,000-image dataset as one small file instead of 6,000.
// The files are kept byte for byte (their hashes are part of what the tests check).
//
//   npx tsx scripts/folder-pack.ts pack <folder> <file.pack>
//   npx tsx scripts/folder-pack.ts unpack <file.pack> <folder>
//
// Layout: the magic line "convas-pack 1\n", a 4-byte little-endian length, that many bytes of JSON
// ({ files: [[relative path, size], ...] } in sorted order), then the files' bytes one after another.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAGIC = Buffer.from('convas-pack 1\n');

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(root, path));
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

/** Packs every file under `folder` into one Buffer. */
export function pack(folder: string): Buffer {
  const files = listFiles(folder).map((rel) => [rel, readFileSync(join(folder, rel))] as const);
  const header = Buffer.from(JSON.stringify({ files: files.map(([rel, bytes]) => [rel, bytes.length]) }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([MAGIC, length, header, ...files.map(([, bytes]) => bytes)]);
}

/** Writes the files of a pack under `folder`, which must not exist yet. */
export function unpack(packed: Buffer, folder: string): number {
  if (!packed.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a convas pack (bad magic line)');
  const headerLength = packed.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  const { files } = JSON.parse(packed.subarray(at, at + headerLength).toString('utf8')) as {
    files: [string, number][];
  };
  at += headerLength;
  for (const [rel, size] of files) {
    if (rel.split('/').some((part) => part === '..' || part === '')) throw new Error(`bad path in pack: ${rel}`);
    const path = join(folder, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, packed.subarray(at, at + size));
    at += size;
  }
  if (at !== packed.length) throw new Error(`the pack has ${packed.length - at} bytes past its last file`);
  return files.length;
}

/**
 * Unpacks into `folder` unless a complete copy is there already. Safe when several processes race: each writes
 * a private folder and renames it into place; the loser removes its copy and uses the winner's.
 */
export function unpackOnce(packFile: string, folder: string): string {
  try {
    if (statSync(folder).isDirectory()) return folder;
  } catch {
    // not there yet
  }
  const scratch = `${folder}.partial-${process.pid}-${Date.now()}`;
  unpack(readFileSync(packFile), scratch);
  try {
    renameSync(scratch, folder);
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw e;
  }
  return folder;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, from, to] = process.argv.slice(2);
  if (command === 'pack' && from && to) {
    const packed = pack(from);
    writeFileSync(to, packed);
    console.log(`packed ${from} into ${to} (${packed.length} bytes)`);
  } else if (command === 'unpack' && from && to) {
    console.log(`unpacked ${unpack(readFileSync(from), to)} files into ${to}`);
  } else {
    console.error('usage: npx tsx scripts/folder-pack.ts pack <folder> <file.pack> | unpack <file.pack> <folder>');
    process.exit(2);
  }
}
