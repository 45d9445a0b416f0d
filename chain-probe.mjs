import { build } from 'esbuild';
const [entry, target] = process.argv.slice(2);
const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node22', format: 'cjs', mainFields: ['module','main'], write: false, metafile: true, logLevel: 'silent' });
const inputs = r.metafile.inputs;
// BFS from entry to target over own modules
const prev = new Map([[entry, null]]); const q = [entry];
while (q.length) { const f = q.shift(); for (const imp of inputs[f]?.imports ?? []) { if (!prev.has(imp.path)) { prev.set(imp.path, f); q.push(imp.path); } } }
const hit = [...prev.keys()].find((k) => k.includes(target));
let path = []; for (let f = hit; f; f = prev.get(f)) path.unshift(f);
console.log(entry.split('/').pop(), '→', path.filter(p=>!p.includes('node_modules')).join(' → '));
