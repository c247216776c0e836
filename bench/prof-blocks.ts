// The longest stretches without idle in a V8 .cpuprofile: what blocked the event loop.
//   node --import tsx bench/prof-blocks.ts <file.cpuprofile> [count=10]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countArg] = process.argv.slice(2);
if (!file) throw new Error('usage: prof-blocks.ts <file.cpuprofile> [count]');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (id: number): string => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src|workers|dist)\//, '$1/')}:${f.lineNumber + 1}`;
};
/** the interesting frames of a stack: our code (src/, workers/) nearest the leaf, else the leaf */
const stack = (id: number): string[] => {
  const out: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(name(cur));
  return out;
};

interface Block {
  startUs: number;
  us: number;
  frames: Map<string, number>;
}
const blocks: Block[] = [];
let t = 0;
let cur: Block | null = null;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  t += dt;
  const leaf = byId.get(id)!.callFrame.functionName;
  if (leaf === '(idle)' || leaf === 'atomicsWaitLoop') {
    if (cur) blocks.push(cur);
    cur = null;
    return;
  }
  cur ??= { startUs: t, us: 0, frames: new Map() };
  cur.us += dt;
  for (const f of new Set(stack(id))) cur.frames.set(f, (cur.frames.get(f) ?? 0) + dt);
});
if (cur) blocks.push(cur);
for (const b of blocks.sort((a, b) => b.us - a.us).slice(0, Number(countArg ?? 10))) {
  process.stdout.write(`\n${(b.us / 1000).toFixed(1)} ms at ${(b.startUs / 1e6).toFixed(2)} s\n`);
  const top = [...b.frames].filter(([f]) => /src\/|workers\/|garbage|node:/.test(f)).sort((x, y) => y[1] - x[1]).slice(0, 12);
  for (const [f, us] of top) process.stdout.write(`  ${(us / 1000).toFixed(1).padStart(7)} ms  ${f}\n`);
}
