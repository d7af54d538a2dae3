#!/usr/bin/python3
"""PyTorch side of bench/backbone.bench.ts: a long-lived server, so that the TypeScript side can
interleave PyTorch runs with onnxruntime runs one at a time (this machine's load changes by the
minute, so only interleaved timings compare).

Usage: /usr/bin/python3 bench/backbone_reference.py DIR
DIR holds, per model, weights-<model>.bin (little-endian float32, concatenated) and
weights-<model>.json ({key: {"shape": [...], "offset": n}}, offsets in floats), and
images-<B>.bin (uint8 NHWC [B, 224, 224, 3]). One JSON command per stdin line, one JSON reply
per stdout line:
  {"cmd": "load", "model": "resnet50" | "vit_small_patch16"}
  {"cmd": "time", "model", "batch", "variant", "threads", "runs", "warmup"} -> {"ms": [...]}
  {"cmd": "embed", "model", "batch", "out": path} -> writes float32 embeddings, {"shape": [...]}
  {"cmd": "export", "model", "out": path} -> torch.onnx.export of the eager model (opset 17)
  {"cmd": "rss"} -> {"maxRssMB"}; {"cmd": "quit"}
Variants: eager, eager-cl (channels-last), frozen (torch.jit.freeze(torch.jit.trace(m))),
frozen-cl, frozen-opt (torch.jit.optimize_for_inference: MKLDNN convolutions). Inputs are
normalised once, outside the timed region, as the bare onnxruntime session gets them.
"""
import contextlib
import importlib.util
import json
import os
import resource
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def parity_module():
    """DINO's ViT, transcribed in scripts/fixtures/backbone_parity.py (timm is not installed)."""
    path = os.path.join(HERE, "..", "scripts", "fixtures", "backbone_parity.py")
    spec = importlib.util.spec_from_file_location("backbone_parity", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class DinoLastBlocks(torch.nn.Module):
    """The paper's DINO embedding: CLS of the last 4 blocks, each normed, concatenated."""

    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        return torch.cat([t[:, 0] for t in self.vit.get_intermediate_layers(x, 4)], dim=-1)


def build(model, folder):
    meta = json.load(open(os.path.join(folder, f"weights-{model}.json")))
    flat = np.fromfile(os.path.join(folder, f"weights-{model}.bin"), dtype="<f4")
    state = {}
    for key, t in meta.items():
        n = int(np.prod(t["shape"])) if t["shape"] else 1
        state[key] = torch.from_numpy(flat[t["offset"]:t["offset"] + n].reshape(t["shape"]).copy())
    if model == "resnet50":
        from torchvision.models import resnet50

        net = resnet50()
        net.fc = torch.nn.Identity()
        missing, unexpected = net.load_state_dict(state, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    else:
        vit = parity_module().VisionTransformer(224, 16, 384, 12, 6)
        vit.load_state_dict(state, strict=True)
        net = DinoLastBlocks(vit)
    return net.eval()


class Server:
    def __init__(self, folder):
        self.folder = folder
        self.models = {}
        self.variants = {}
        self.inputs = {}

    def input(self, batch, channels_last=False):
        key = (batch, channels_last)
        if key not in self.inputs:
            u8 = np.fromfile(os.path.join(self.folder, f"images-{batch}.bin"), dtype=np.uint8).reshape(batch, 224, 224, 3)
            x = (torch.from_numpy(u8).permute(0, 3, 1, 2).float().div(255) - MEAN) / STD
            self.inputs[key] = x.contiguous(memory_format=torch.channels_last) if channels_last else x.contiguous()
        return self.inputs[key]

    def variant(self, model, name, batch):
        key = (model, name, batch)
        if key in self.variants:
            return self.variants[key]
        cl = name.endswith("-cl")
        net = self.models[model]
        if cl:
            net = build(model, self.folder).to(memory_format=torch.channels_last)
        fn = net
        if name.startswith("frozen"):
            with torch.no_grad():
                traced = torch.jit.trace(net, self.input(batch, cl), check_trace=False)
                fn = torch.jit.freeze(traced)
                if name == "frozen-opt":
                    fn = torch.jit.optimize_for_inference(fn)
        self.variants[key] = (fn, cl)
        return self.variants[key]

    def handle(self, c):
        cmd = c["cmd"]
        if cmd == "load":
            self.models[c["model"]] = build(c["model"], self.folder)
            return {"torch": torch.__version__, "threads": torch.get_num_threads()}
        if cmd == "time":
            torch.set_num_threads(c["threads"])
            fn, cl = self.variant(c["model"], c["variant"], c["batch"])
            x = self.input(c["batch"], cl)
            ms = []
            with torch.inference_mode():
                for i in range(c.get("warmup", 0) + c["runs"]):
                    t0 = time.perf_counter()
                    fn(x)
                    if i >= c.get("warmup", 0):
                        ms.append((time.perf_counter() - t0) * 1e3)
            return {"ms": ms}
        if cmd == "embed":
            with torch.inference_mode():
                y = self.models[c["model"]](self.input(c["batch"])).numpy().astype("<f4")
            y.tofile(c["out"])
            return {"shape": list(y.shape)}
        if cmd == "export":
            torch.onnx.export(self.models[c["model"]], self.input(1), c["out"], opset_version=17,
                              input_names=["input"], output_names=["embedding"], dynamic_axes={"input": {0: "b"}})
            return {}
        if cmd == "rss":
            return {"maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        raise ValueError(f"unknown command {cmd}")


def main():
    server = Server(sys.argv[1])
    for line in sys.stdin:
        c = json.loads(line)
        if c["cmd"] == "quit":
            break
        try:
            # Only replies go to stdout; tracing and export warnings go to stderr.
            with contextlib.redirect_stdout(sys.stderr):
                reply = server.handle(c)
        except Exception as e:  # noqa: BLE001 - reported to the TypeScript side
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
