import { describe, expect, it } from 'vitest';
import { createProgress, renderProgress } from '../../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 60, write: (s: string) => writes.push(s) } };
}

describe('progress display', () => {
  it('renders a bar, a percentage, counts and an ETA or the time taken', () => {
    expect(renderProgress('embed', 5, 10, 10_000, 0, 10)).toBe('embed [#####-----]  50% 5/10 eta 10s');
    expect(renderProgress('embed', 0, 10, 0, 0, 10)).toBe('embed [----------]   0% 0/10');
    // The first report's items have no known duration: the rate counts from them.
    expect(renderProgress('embed', 16, 1000, 0, 16, 10)).toBe('embed [----------]   1% 16/1000');
    expect(renderProgress('runs', 45, 45, 125_000, 0, 10)).toBe('runs [##########] 100% 45/45 2m05s');
    expect(renderProgress('long', 1, 100, 3_600_000, 0, 4)).toBe('long [----]   1% 1/100 eta 99h00m');
  });

  it('prints plain lines without a TTY: at the start, every tenth, and the end', () => {
    const { writes, stream } = sink(false);
    let t = 0;
    const p = createProgress(stream, () => t);
    for (let i = 1; i <= 40; i++) {
      t += 100;
      p.update('embed a', i, 40);
    }
    p.update('runs', 1, 2);
    p.finish();
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(writes.filter((w) => w.startsWith('embed a'))).toHaveLength(11); // 0%..100% deciles
    expect(writes.at(-2)).toMatch(/^embed a \[#{20}\] 100% 40\/40 4s\n$/);
    expect(writes.at(-1)).toMatch(/^runs .* 1\/2\n$/);
  });

  it('redraws one line in place on a TTY, at most ten times a second, and ends it', () => {
    const { writes, stream } = sink(true);
    let t = 0;
    const p = createProgress(stream, () => t);
    p.update('embed', 1, 3);
    t = 50;
    p.update('embed', 2, 3); // too soon: skipped
    t = 200;
    p.update('embed', 3, 3); // the end is always drawn
    expect(writes.map((w) => w.replace(/ +$/, ''))).toEqual([
      '\rembed [#######-------------]  33% 1/3',
      '\rembed [####################] 100% 3/3 0s',
      '\n',
    ]);
    expect(writes[0]).toHaveLength(60); // padded to the terminal width - 1, plus '\r'
    p.update('runs', 1, 2);
    p.finish();
    expect(writes.at(-1)).toBe('\n');
  });
});
