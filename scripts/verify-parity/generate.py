"""Full-size checkpoints and torch reference embeddings for `npm run verify:parity`.

    /usr/bin/python3 scripts/verify-parity/generate.py OUT_DIR ARCH [ARCH ...]

ARCH is a dvme architecture id: resnet50 (torchvision's own resnet50()), vit_small_patch16,
vit_small_patch8 (DINO's ViT, transcribed in scripts/fixtures/backbone_parity.py). Weights are
seeded random, BatchNorm running statistics included, so that every layer matters. For each
architecture the script writes the same weights as:

  ARCH.zip.pth            torch.save (zip)
  ARCH.legacy.pth         torch.save(_use_new_zipfile_serialization=False)
  ARCH.safetensors        float32 safetensors (hand-written; no package needed)
  ARCH.fp16.safetensors   float16 safetensors

and OUT_DIR/reference.json: per architecture, the embeddings (ResNet: global average pool;
ViT: CLS of the last 4 blocks after the final norm, DINO eval_linear's ViT-S protocol) of
IMAGES fixed 224 x 224 uint8 images (written raw to OUT_DIR/images.u8, NHWC), computed in
float64 from the float32 weights and from the float16-rounded ones; plus torch's own float32
embeddings of both, to show the float32 noise floor.
"""
import json
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
from backbone_parity import VisionTransformer, randomise  # noqa: E402
from io_formats import write_safetensors  # noqa: E402

IMAGES = 4
SIZE = 224
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def images():
    """Fixed uint8 NHWC images with structure at several scales, and their normalised NCHW float64."""
    n, h, w = IMAGES, SIZE, SIZE
    b, y, x, c = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), np.arange(3), indexing='ij')
    pixels = ((b * 61 + x * (b + 1) + y * (3 - b % 3) + c * 85 + ((x * y) >> 5) + ((x ^ y) & 31)) % 256).astype(np.uint8)
    t = torch.from_numpy(pixels / 255.0).permute(0, 3, 1, 2)
    mean, std = (torch.tensor(v, dtype=torch.float64).view(1, 3, 1, 1) for v in (MEAN, STD))
    return pixels, (t - mean) / std


def build(arch):
    if arch == 'resnet50':
        from torchvision.models import resnet50
        model = resnet50()
        model.fc = torch.nn.Identity()
        return model
    patch = {'vit_small_patch16': 16, 'vit_small_patch8': 8}[arch]
    return VisionTransformer(224, patch, 384, 12, 6)


def embed(model, arch, sd, x, dtype):
    model = model.to(dtype)
    model.load_state_dict(OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()))
    with torch.no_grad():
        if arch == 'resnet50':
            out = model(x.to(dtype))
        else:
            out = torch.cat([t[:, 0] for t in model.get_intermediate_layers(x.to(dtype), 4)], dim=-1)
    return out.double().numpy()


def main():
    out_dir, archs = sys.argv[1], sys.argv[2:]
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    pixels, x = images()
    pixels.tofile(os.path.join(out_dir, 'images.u8'))
    reference = {'images': {'file': 'images.u8', 'shape': list(pixels.shape)}, 'archs': {}}
    for i, arch in enumerate(archs):
        start = time.time()
        model = build(arch).eval()
        randomise(model, torch.Generator().manual_seed(1000 + i))
        sd = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
        half = OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
        floats = lambda d: OrderedDict((k, v) for k, v in d.items() if v.is_floating_point())
        torch.save(sd, os.path.join(out_dir, f'{arch}.zip.pth'))
        torch.save(sd, os.path.join(out_dir, f'{arch}.legacy.pth'), _use_new_zipfile_serialization=False)
        # The writer cannot view 0-d int64 counters as bytes; loading ignores them anyway.
        write_safetensors(os.path.join(out_dir, f'{arch}.safetensors'), floats(sd), {'format': 'pt'})
        write_safetensors(os.path.join(out_dir, f'{arch}.fp16.safetensors'), floats(half), {'format': 'pt'})
        reference['archs'][arch] = {
            'float32': embed(model, arch, sd, x, torch.float64).tolist(),
            'float16': embed(model, arch, half, x, torch.float64).tolist(),
            'torchFloat32': {'float32': embed(model, arch, sd, x, torch.float32).tolist(),
                             'float16': embed(model, arch, half, x, torch.float32).tolist()},
        }
        print(f'  {arch}: checkpoints and torch references in {time.time() - start:.0f} s', flush=True)
    with open(os.path.join(out_dir, 'reference.json'), 'w') as f:
        json.dump(reference, f)


if __name__ == '__main__':
    main()
