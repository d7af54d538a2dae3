#!/usr/bin/python3
"""Python side of bench/fusion.bench.ts: one training step of the paper's DVME head (feature
tokens) in PyTorch, on the weights and batch the TypeScript side wrote, and prints one JSON line.

Usage: /usr/bin/python3 bench/fusion_reference.py DIR WARMUP RUNS
DIR holds meta.json ({"sourceDims", "projectionDim", "numClasses", "batch", "lr",
"weights": [{"name", "shape"}]}), weights.bin (float32, tfjs weight names and layouts, in that
order), x<j>.bin (float32 [batch, d_j]) and labels.bin (int32). Writes grads.bin: the float32
gradients of the mean cross-entropy at those weights, in the same order and layouts. Steps are
timed with PyTorch's default thread count and with one thread (dvme's wasm backend runs on one).
The model is the one of scripts/fixtures/dvme_reference.py, dropout 0.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from dvme_reference import DVME  # noqa: E402


def torch_key(name):
    """tfjs weight name -> (state-dict key, transpose?), the inverse of dvme_reference.tfjs_weights."""
    layer, kind = name.rsplit("/", 1)
    if layer.startswith("proj_"):
        prefix = f"projs.{layer[5:]}"
    elif layer.startswith("attention/"):
        prefix = f"attn.{layer.split('/')[1]}"
    else:
        prefix = layer
    kind = {"kernel": "weight", "gamma": "weight", "beta": "bias"}.get(kind, kind)
    return f"{prefix}.{kind}", name.endswith("/kernel")


def main():
    folder, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    meta = json.load(open(os.path.join(folder, "meta.json")))
    model = DVME(meta["sourceDims"], meta["projectionDim"], meta["numClasses"], tokens="feature", heads=1, dropout=0.0)
    flat = np.fromfile(os.path.join(folder, "weights.bin"), dtype="<f4")
    state, offset = {}, 0
    for w in meta["weights"]:
        size = int(np.prod(w["shape"]))
        a = flat[offset:offset + size].reshape(w["shape"])
        offset += size
        key, transpose = torch_key(w["name"])
        state[key] = torch.from_numpy(np.ascontiguousarray(a.T if transpose else a))
    model.load_state_dict(state)
    b = meta["batch"]
    xs = [torch.from_numpy(np.fromfile(os.path.join(folder, f"x{j}.bin"), dtype="<f4").reshape(b, d))
          for j, d in enumerate(meta["sourceDims"])]
    labels = torch.from_numpy(np.fromfile(os.path.join(folder, "labels.bin"), dtype="<i4").astype(np.int64))

    model.train()
    loss = F.cross_entropy(model(xs), labels)
    loss.backward()
    grads = []
    for w in meta["weights"]:
        key, transpose = torch_key(w["name"])
        g = dict(model.named_parameters())[key].grad.detach().numpy()
        grads.append(np.ascontiguousarray(g.T if transpose else g, dtype="<f4").ravel())
    np.concatenate(grads).tofile(os.path.join(folder, "grads.bin"))
    first_loss = loss.item()

    opt = torch.optim.Adam(model.parameters(), lr=meta["lr"])

    def step():
        opt.zero_grad()
        F.cross_entropy(model(xs), labels).backward()
        opt.step()

    timings = {}
    for threads in sorted({torch.get_num_threads(), 1}, reverse=True):
        torch.set_num_threads(threads)
        for _ in range(warmup):
            step()
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1e3)
        timings[str(threads)] = {"ms": statistics.median(ms), "runsMs": ms}
    print(json.dumps({
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__},
        "loss": first_loss,
        "timings": timings,
    }))


if __name__ == "__main__":
    main()
