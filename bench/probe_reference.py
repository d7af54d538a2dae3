#!/usr/bin/python3
"""Python side of bench/probe.bench.ts: fits scikit-learn's LogisticRegression(solver='lbfgs')
at its defaults on the data the TypeScript side wrote, and prints one JSON line.

Usage: /usr/bin/python3 bench/probe_reference.py DIR WARMUP RUNS
DIR holds x.bin (float32 little-endian, row-major [n_train + n_test, d]), y.bin (int32) and
meta.json ({"nTrain", "nTest", "d", "numClasses", "C"}). X is converted to float64, as
scikit-learn's lbfgs path does itself; the conversion is outside the timed fit.
"""
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np


def main():
    folder, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    meta = json.load(open(os.path.join(folder, "meta.json")))
    n, nt, d, k, C = meta["nTrain"], meta["nTest"], meta["d"], meta["numClasses"], meta["C"]
    x = np.fromfile(os.path.join(folder, "x.bin"), dtype="<f4").reshape(n + nt, d).astype(np.float64)
    y = np.fromfile(os.path.join(folder, "y.bin"), dtype="<i4").astype(np.int64)
    xtr, xte, ytr, yte = x[:n], x[n:], y[:n], y[n:]

    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=100 is reached here
            return LogisticRegression(C=C, solver="lbfgs").fit(xtr, ytr)

    model = None
    for _ in range(warmup):
        model = fit()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model = fit()
        times.append((time.perf_counter() - t0) * 1e3)

    # One loss-and-gradient evaluation (the two products plus the softmax), for the per-evaluation
    # comparison; a private API, so skipped if it moved.
    eval_ms = None
    try:
        from sklearn._loss.loss import HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss

        lml = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=k), fit_intercept=True)
        coef = np.hstack([model.coef_, model.intercept_[:, None]])
        yf = ytr.astype(np.float64)
        evals = []
        for _ in range(5):
            t0 = time.perf_counter()
            lml.loss_gradient(coef, xtr, yf, None, 1.0 / C)
            evals.append((time.perf_counter() - t0) * 1e3)
        eval_ms = min(evals)
    except Exception:  # noqa: BLE001 - the comparison is optional
        pass

    out = {
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "sklearn": sklearn.__version__},
        "ms": statistics.median(times),
        "runsMs": times,
        "nIter": int(model.n_iter_[0]),
        "testLogLoss": float(log_loss(yte, model.predict_proba(xte), labels=np.arange(k))),
        "trainLogLoss": float(log_loss(ytr, model.predict_proba(xtr), labels=np.arange(k))),
        "testAccuracy": float(np.mean(model.predict(xte) == yte)),
        "evalMs": eval_ms,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
