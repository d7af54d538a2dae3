#!/usr/bin/python3
"""Python side of bench/metrics.bench.ts: times scikit-learn's roc_auc_score and
cohen_kappa_score(weights='quadratic') and the numpy fast DeLong (scripts/fixtures/
delong_reference.py) on the inputs the TypeScript side wrote, and prints one JSON line.

Usage: /usr/bin/python3 bench/metrics_reference.py DIR WARMUP RUNS
DIR holds raw little-endian float64 files: auc_y, auc_score, kappa_a, kappa_b, delong_y,
delong_score (.bin).
"""
import json
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from delong_reference import delong_roc_variance  # noqa: E402  (the same independent reference the tests use)


def timed(fn, warmup, runs):
    """Median wall time in ms after untimed warm-up calls, and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), result


def main():
    folder, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    load = lambda name: np.fromfile(os.path.join(folder, name + ".bin"), dtype="<f8")
    out = {"versions": {"python": sys.version.split()[0], "numpy": np.__version__}, "results": {}, "missing": []}
    try:
        import sklearn
        from sklearn.metrics import cohen_kappa_score, roc_auc_score

        out["versions"]["sklearn"] = sklearn.__version__
        y, s = load("auc_y").astype(np.int64), load("auc_score")
        ms, v = timed(lambda: roc_auc_score(y, s), warmup, runs)
        out["results"]["roc_auc"] = {"ms": ms, "values": [float(v)]}
        a, b = load("kappa_a").astype(np.int64), load("kappa_b").astype(np.int64)
        ms, v = timed(lambda: cohen_kappa_score(a, b, weights="quadratic"), warmup, runs)
        out["results"]["kappa"] = {"ms": ms, "values": [float(v)]}
    except ImportError as e:
        out["missing"].append(f"scikit-learn ({e})")
    try:
        from scipy.stats import norm

        z = float(norm.ppf(0.975))
    except ImportError:
        z = 1.959963984540054  # scipy absent: the 0.975 normal quantile
    y, s = load("delong_y").astype(np.int64), load("delong_score")

    def delong_ci():
        auc, var = delong_roc_variance(y, s)
        se = math.sqrt(var)
        # Same order as the TypeScript row: variance first, then auc and the 95% bounds.
        return [var, auc, max(0.0, auc - z * se), min(1.0, auc + z * se)]

    ms, v = timed(delong_ci, warmup, runs)
    out["results"]["delong"] = {"ms": ms, "values": v}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
