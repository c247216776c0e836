// Relative links in Markdown files: each must name a file or folder of the repository, and an
// #anchor must name a heading (as GitHub slugs it) or an explicit id of the file it points into.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  reason: string;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

/** Every Markdown file under root, repository-relative, skipping dependencies, builds and dot folders. */
export function markdownFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(root, path));
    else if (entry.name.endsWith('.md')) out.push(relative(root, path));
  }
  return out.sort();
}

/** The text outside fenced code blocks, line by line (code lines blanked, so numbers stay right). */
function proseLines(text: string): string[] {
  let fence: string | null = null;
  return text.split('\n').map((line) => {
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (open) {
      if (fence === null) fence = open[1]!.slice(0, 3);
      else if (line.trim().startsWith(fence)) fence = null;
      return '';
    }
    return fence === null ? line : '';
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
    .replace(/<[^>]+>/g, '')
    .toLowerCase()
    .trim();
  return text.replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, '').replace(/ /g, '-');
}

/** Every anchor a file offers: its headings' slugs (the nth repeat gets -n) and explicit ids. */
export function anchors(text: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  }
  return out;
}

/** The link targets of one line of prose: inline links and images, and reference definitions. */
function targets(line: string): string[] {
  const prose = line.replace(/`[^`]*`/g, ''); // code spans are not links
  const out: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!);
  const def = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/.exec(prose);
  if (def) out.push(def[1]!);
  return out;
}

/** What is wrong with every relative link of the given files (repository-relative paths). */
export function brokenLinks(root: string, files: string[]): BrokenLink[] {
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string): Set<string> => {
    let a = anchorCache.get(path);
    if (!a) anchorCache.set(path, (a = anchors(readFileSync(path, 'utf8'))));
    return a;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const abs = join(root, file);
    proseLines(readFileSync(abs, 'utf8')).forEach((line, i) => {
      for (const target of targets(line)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
        const [rawPath = '', fragment] = target.split('#', 2);
        const path = decodeURIComponent(rawPath);
        const dest = path === '' ? abs : path.startsWith('/') ? join(root, path) : resolve(dirname(abs), path);
        const at = { file, line: i + 1, target };
        if (!existsSync(dest)) {
          broken.push({ ...at, reason: `${relative(root, dest)} does not exist` });
          continue;
        }
        if (fragment === undefined || fragment === '') continue;
        if (statSync(dest).isDirectory() || !dest.endsWith('.md')) {
          broken.push({ ...at, reason: `#${fragment} points into ${relative(root, dest)}, which is not a Markdown file` });
          continue;
        }
        if (!anchorsOf(dest).has(decodeURIComponent(fragment).toLowerCase())) {
          broken.push({ ...at, reason: `${relative(root, dest)} has no heading or id "#${fragment}"` });
        }
      }
    });
  }
  return broken;
}
