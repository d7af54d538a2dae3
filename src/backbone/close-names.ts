/** Edit distance (insert, delete, substitute), case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length] as number;
}

/**
 * @internal The `count` names most like `query`, for "did you mean" messages: names that
 * contain it (or that it contains) first, then by edit distance, then in model order.
 */
export function closeNames(query: string, names: readonly string[], count = 5): string[] {
  const q = query.toLowerCase();
  return names
    .map((name, order) => {
      const n = name.toLowerCase();
      const contains = n.includes(q) || q.includes(n) ? 0 : 1;
      return { name, contains, distance: editDistance(query, name), order };
    })
    .sort((a, b) => a.contains - b.contains || a.distance - b.distance || a.order - b.order)
    .slice(0, count)
    .map((c) => c.name);
}

/** @internal `'a', 'b', 'c'` for a message. */
export function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}
