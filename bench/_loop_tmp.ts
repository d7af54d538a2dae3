const N = 4718592;
const p = Float32Array.from({ length: N }, () => Math.random());
const g = Float32Array.from({ length: N }, () => Math.random() - 0.5);
const m = new Float32Array(N), v = new Float32Array(N), out = new Float32Array(N);
function step(b1: number, c1: number, b2: number, c2: number, root: number, eps: number, rate: number) {
  const f = Math.fround;
  for (let j = 0; j < N; j++) {
    const gj = g[j];
    const mj = (m[j] = f(f(m[j] * b1) + f(gj * c1)));
    const vj = (v[j] = f(f(v[j] * b2) + f(f(gj * gj) * c2)));
    const denom = f(f(f(Math.sqrt(vj)) / root) + eps);
    out[j] = f(p[j] - f(f(mj / denom) * rate));
  }
}
for (let i = 0; i < 3; i++) step(0.9, 0.1, 0.999, 0.001, 0.1, 1e-8, 0.01);
const c0 = process.cpuUsage();
for (let i = 0; i < 10; i++) step(0.9, 0.1, 0.999, 0.001, 0.1, 1e-8, 0.01);
const c = process.cpuUsage(c0);
console.log('js loop', ((c.user + c.system) / 10000).toFixed(1), 'ms');
