#!/usr/bin/python3
"""Python side of bench/augment.bench.ts: times torchvision.transforms.functional on the image
the TypeScript side wrote (raw little-endian float64, HWC), writes each output as out<i>.bin
(float64, HWC) and prints one JSON line.

Usage: /usr/bin/python3 bench/augment_reference.py DIR SIZE WARMUP RUNS
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode as IM


def timed(fn, warmup, runs):
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
    folder, size, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    hwc = np.fromfile(os.path.join(folder, "image.bin"), dtype="<f8").astype(np.float32).reshape(size, size, 3)
    img = torch.from_numpy(hwc).permute(2, 0, 1).contiguous()
    ops = [
        ("resize 224 bilinear antialias", lambda: F.resize(img, [224, 224], IM.BILINEAR, antialias=True)),
        ("resize 224 bicubic", lambda: F.resize(img, [224, 224], IM.BICUBIC, antialias=False)),
        ("hflip", lambda: F.hflip(img)),
        ("rotate 15 bilinear fill 0", lambda: F.rotate(img, 15.0, IM.BILINEAR, fill=[0.0, 0.0, 0.0])),
        ("adjust_contrast 1.3", lambda: F.adjust_contrast(img, 1.3)),
        ("adjust_hue 0.1", lambda: F.adjust_hue(img, 0.1)),
    ]
    out = {"versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": str(torch.get_num_threads())}, "results": {}}
    for i, (name, fn) in enumerate(ops):
        ms, result = timed(fn, warmup, runs)
        result.permute(1, 2, 0).contiguous().numpy().astype("<f8").tofile(os.path.join(folder, f"out{i}.bin"))
        out["results"][name] = {"ms": ms}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
