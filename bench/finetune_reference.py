"""PyTorch eager CPU training throughput for bench/finetune.bench.ts: forward + backward + Adam
step, batch B, best of 1 and 2 threads. Usage: finetune_reference.py MODEL SIZE BATCH ITERS.
Prints JSON {imagesPerSecond, threads, cpuMsPerStep, peakRssMB} on its last line."""
import json, os, resource, sys, time
import torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'fixtures'))
from torch_models import ResNet, ViTClassifier  # noqa: E402

model_name, size, batch, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
best = None
for threads in (1, 2):
    torch.set_num_threads(threads)
    model = ResNet((3, 4, 6, 3), 5) if model_name == 'resnet50' else ViTClassifier(size, 16, 384, 12, 6, 5)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % 5
    times, cpus = [], []
    for i in range(iters + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if i > 0:
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    ips = batch / min(times)
    if best is None or ips > best['imagesPerSecond']:
        best = {'imagesPerSecond': ips, 'threads': threads, 'cpuMsPerStep': 1000 * min(cpus)}
best['peakRssMB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(best))
