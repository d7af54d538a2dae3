#!/usr/bin/python3
"""Python side of bench/training.bench.ts. One JSON spec per call (argv[1]: the folder, argv[2]:
the case name, argv[3]: warm-up runs, argv[4]: timed runs); prints one JSON line.

Folder layout: <case>.json ({"kind": "paper" | "lbfgs", "task", "n", "nVal", "d", "k",
"epochs", "batch", "lr", "C"}), <case>.x.bin / <case>.xv.bin (float32 [n, d] / [nVal, d]),
<case>.y.bin / <case>.yv.bin (int32 class indices, or uint8 [n, k] indicators for multilabel).

'paper': PyTorch nn.Linear trained as dvme's 'paper' solver does, every epoch: a fresh random
order, batches of `batch`, Adam, mean cross-entropy; then validation probabilities, the
monitor (ROC AUC for binary and multilabel, Cohen's kappa for multiclass, scikit-learn),
ReduceLROnPlateau(factor 0.1, patience 5) and a copy of the best weights; `epochs` epochs
(dvme's count on the same data, so both do the same work). Timed with 1 thread and with
PyTorch's default.
'lbfgs': scikit-learn LogisticRegression(solver='lbfgs', C) at its defaults (one-vs-rest
binary fits for multilabel); value = validation log-loss.
"""
import copy
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np


def load(folder, name):
    meta = json.load(open(os.path.join(folder, f"{name}.json")))
    n, nv, d, k = meta["n"], meta["nVal"], meta["d"], meta["k"]
    x = np.fromfile(os.path.join(folder, f"{name}.x.bin"), dtype="<f4").reshape(n, d)
    xv = np.fromfile(os.path.join(folder, f"{name}.xv.bin"), dtype="<f4").reshape(nv, d)
    if meta["task"] == "multilabel":
        y = np.fromfile(os.path.join(folder, f"{name}.y.bin"), dtype="u1").reshape(n, k)
        yv = np.fromfile(os.path.join(folder, f"{name}.yv.bin"), dtype="u1").reshape(nv, k)
    else:
        y = np.fromfile(os.path.join(folder, f"{name}.y.bin"), dtype="<i4").astype(np.int64)
        yv = np.fromfile(os.path.join(folder, f"{name}.yv.bin"), dtype="<i4").astype(np.int64)
    return meta, x, xv, y, yv


def fusion_model(meta):
    """'fusion' cases: the PyTorch heads of the parity fixtures (DVME of
    scripts/fixtures/dvme_reference.py; DME as dvme builds it: projections, a softmax gate
    over per-source scores, a linear head)."""
    import torch
    import torch.nn as nn

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
    from dvme_reference import DVME

    dims, k, model = meta["sources"], meta["k"], meta["model"]
    if model == "dvme-feature":
        return DVME(dims, 512, k, tokens="feature", heads=1)
    if model == "dvme-source":
        return DVME(dims, 512, k, tokens="source", heads=8)

    class DME(nn.Module):
        def __init__(self):
            super().__init__()
            self.projs = nn.ModuleList([nn.Linear(d, 512) for d in dims])
            self.gate = nn.Linear(512, 1)
            self.head = nn.Linear(512, k)

        def forward(self, xs):
            w = torch.stack([p(x) for p, x in zip(self.projs, xs)], 1)
            alpha = torch.softmax(self.gate(w), 1)
            return self.head((alpha * w).sum(1))

    return DME()


def paper(meta, x, xv, y, yv, warmup, runs):
    import torch
    import torch.nn.functional as F
    from sklearn.metrics import cohen_kappa_score, roc_auc_score

    task, k = meta["task"], meta["k"]
    xt, xvt = torch.from_numpy(x), torch.from_numpy(xv)
    yt = torch.from_numpy(y) if task == "multiclass" else torch.from_numpy(y.reshape(len(y), -1).astype(np.float32))
    if meta.get("sources"):
        # A fusion head: one input per source (column blocks of x).
        cuts = np.cumsum([0] + meta["sources"])
        split = lambda t: [t[:, a:b].contiguous() for a, b in zip(cuts[:-1], cuts[1:])]  # noqa: E731
        xt, xvt = split(xt), split(xvt)

    def fit():
        torch.manual_seed(0)
        lin = fusion_model(meta) if meta.get("sources") else torch.nn.Linear(meta["d"], k)
        opt = torch.optim.Adam(lin.parameters(), lr=meta["lr"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=5)
        best, best_state = -np.inf, None
        n = len(x)
        pick = (lambda t, i: [b[i] for b in t]) if meta.get("sources") else (lambda t, i: t[i])  # noqa: E731
        for _ in range(meta["epochs"]):
            lin.train()
            order = torch.randperm(n)
            for s in range(0, n, meta["batch"]):
                idx = order[s:s + meta["batch"]]
                z = lin(pick(xt, idx))
                loss = F.cross_entropy(z, yt[idx]) if task == "multiclass" else F.binary_cross_entropy_with_logits(z, yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            lin.eval()
            with torch.no_grad():
                zv = lin(xvt)
                p = (torch.softmax(zv, 1) if task == "multiclass" else torch.sigmoid(zv)).numpy()
            if task == "multiclass":
                value = cohen_kappa_score(yv, p.argmax(1))
            elif task == "binary":
                value = roc_auc_score(yv, p[:, 0])
            else:
                value = roc_auc_score(yv, p, average="macro")
            sched.step(value)
            if value > best:
                best, best_state = value, copy.deepcopy(lin.state_dict())
        lin.load_state_dict(best_state)
        return best

    timings = {}
    for threads in sorted({torch.get_num_threads(), 1}):
        torch.set_num_threads(threads)
        for _ in range(warmup):
            fit()
        ms, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            value = fit()
            ms.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        timings[str(threads)] = {"ms": statistics.median(ms), "runsMs": ms, "cpuMs": cpu}
    return {"versions": {"torch": torch.__version__}, "timings": timings, "value": value}


def lbfgs(meta, x, xv, y, yv, warmup, runs):
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    x64, xv64 = x.astype(np.float64), xv.astype(np.float64)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if meta["task"] == "multilabel":
                return [LogisticRegression(C=meta["C"], solver="lbfgs").fit(x64, y[:, j]) for j in range(y.shape[1])]
            return [LogisticRegression(C=meta["C"], solver="lbfgs").fit(x64, y)]

    for _ in range(warmup):
        fit()
    ms, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        models = fit()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    eps = 1e-15
    if meta["task"] == "multilabel":
        p = np.stack([m.predict_proba(xv64)[:, 1] for m in models], 1).clip(eps, 1 - eps)
        value = float(-np.mean(yv * np.log(p) + (1 - yv) * np.log(1 - p)))
    else:
        p = models[0].predict_proba(xv64).clip(eps, 1)
        value = float(-np.mean(np.log(p[np.arange(len(yv)), yv])))
    iters = [int(m.n_iter_[0]) for m in models]
    # The fitted objective, 0.5 ||W||^2 + C * sum of log-losses, summed over the fits.
    from sklearn.metrics import log_loss
    ys = [y[:, j] for j in range(y.shape[1])] if meta["task"] == "multilabel" else [y]
    objective = float(sum(0.5 * np.sum(m.coef_ ** 2) + meta["C"] * log_loss(yj, m.predict_proba(x64), normalize=False)
                          for m, yj in zip(models, ys)))
    return {"versions": {"sklearn": sklearn.__version__}, "timings": {str(threads()): {"ms": statistics.median(ms), "runsMs": ms, "cpuMs": cpu}},
            "value": value, "nIter": iters, "objective": objective}


def threads():
    """OpenBLAS threads scikit-learn's products run on (threadpoolctl), or 0 when unknown."""
    try:
        from threadpoolctl import threadpool_info
        return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=0)
    except Exception:  # noqa: BLE001 - informative only
        return 0


def main():
    folder, name, warmup, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    meta, x, xv, y, yv = load(folder, name)
    out = (paper if meta["kind"] == "paper" else lbfgs)(meta, x, xv, y, yv, warmup, runs)
    out["versions"]["python"] = sys.version.split()[0]
    out["versions"]["numpy"] = np.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
