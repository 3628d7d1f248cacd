"""Side-by-side benchmark: the `ember bench` workloads in PyTorch, layer for layer, with the same
thread count, then `ember bench --json` in the same run, and the ratios.

usage: /usr/bin/python3 bench/compare_pytorch.py [--ember build/tools/ember/ember] [--threads 2]
       [--repeats 20] [--warmup 5] [--precision fp32|bf16] [--workload NAME ...] [--channels-last] [--json]

The language models (charlstm, gpt, gpt-generate) are bench/text_models.py's, module for module as
models/charlstm.cpp and models/gpt.cpp. The ResNet workloads use torchvision's resnet50 and the same resnet20 as models/resnet.cpp (torchvision
BasicBlocks, 3x3 stem, 16/32/64 channels). PyTorch runs them in its default NCHW memory format unless
--channels-last is given (then model and input are converted, as PyTorch's performance guide advises).

Ratios are oriented so that > 1 means ember is better (higher throughput or lower latency).
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))  # text_models

WORKLOADS = ["mlp", "lenet", "resnet20", "resnet50", "charlstm", "gpt", "mlp-infer", "resnet50-infer", "gpt-generate",
             "gemm", "tiny-op", "attention"]
CHANNELS_LAST = False  # set from --channels-last
HIGHER_IS_BETTER = {"samples_per_s": True, "tokens_per_s": True, "gflops": True, "ms_per_batch": False,
                    "us_per_op": False}


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock with a conv1x1+BN downsample when the shape changes."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


def resnet20(in_channels=1, num_classes=10):
    layers, cin = [], 16
    for i, width in enumerate([16, 32, 64]):
        blocks = []
        for b in range(3):
            blocks.append(BasicBlock(cin, width, 2 if i > 0 and b == 0 else 1))
            cin = width
        layers.append(nn.Sequential(*blocks))
    return nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                         *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


def layout(model, x):
    if CHANNELS_LAST and x.dim() == 4:
        return model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    return model, x


def train_step(model, x, y, bf16):
    model.train()
    model, x = layout(model, x)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return run


def make(name, precision):
    """Returns (metric, units_per_run, inner, run) exactly as tools/ember/bench_workloads.cpp."""
    torch.manual_seed(0)
    bf16 = precision == "bf16"
    if name in ("mlp", "lenet", "resnet20"):
        model = {"mlp": mlp, "lenet": lenet, "resnet20": resnet20}[name]()
        return "samples_per_s", 128, 1, train_step(model, torch.randn(128, 1, 28, 28), torch.arange(128) % 10, bf16)
    if name == "resnet50":
        import torchvision
        model = torchvision.models.resnet50()
        return "samples_per_s", 8, 1, train_step(model, torch.randn(8, 3, 224, 224), torch.arange(8) % 1000, bf16)
    if name in ("charlstm", "gpt"):  # a language-model training step: batch 32 x context 128, AdamW
        import text_models
        model = text_models.CharLSTM() if name == "charlstm" else text_models.GPT()
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
        x, y = torch.randint(0, 256, (32, 128)), torch.randint(0, 256, (32, 128))

        def run():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(x)
                logits = out[0] if isinstance(out, tuple) else out
                loss = F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return "samples_per_s", 32, 1, run
    if name == "gpt-generate":  # 128 tokens decoded one at a time from a fresh key/value cache, greedy
        import text_models
        model = text_models.GPT().eval()

        def run():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                caches = model.new_caches(1)
                tok = torch.zeros(1, 1, dtype=torch.int64)
                for pos in range(128):
                    tok = model(tok, caches, pos).argmax(-1, keepdim=True)
        return "tokens_per_s", 128, 1, run
    if name in ("mlp-infer", "resnet50-infer"):
        if name == "mlp-infer":
            model, x = mlp().eval(), torch.randn(1, 1, 28, 28)
        else:
            import torchvision
            model, x = layout(torchvision.models.resnet50().eval(), torch.randn(1, 3, 224, 224))

        def run():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                model(x)
        return "ms_per_batch", 1, 1, run
    if name == "gemm":
        n = 2048
        dt = torch.bfloat16 if bf16 else torch.float32
        a, b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)

        def run():
            with torch.no_grad():
                torch.matmul(a, b)
        return "gflops", 2.0 * n ** 3, 1, run
    if name == "tiny-op":
        a, b = torch.randn(8), torch.randn(8)
        inner = 1000

        def run():
            with torch.no_grad():
                for _ in range(inner):
                    torch.add(a, b)
        return "us_per_op", 1, inner, run
    if name == "attention":
        # A small GPT's causal self-attention as PyTorch 1.13 writes it (no fused SDPA): matmul,
        # masked_fill with a (T, T) mask, softmax, dropout, matmul; forward + backward.
        shape, dt = (32, 4, 128, 32), torch.bfloat16 if bf16 else torch.float32
        q, k, v = (torch.randn(shape).to(dt).requires_grad_() for _ in range(3))
        g = torch.randn(shape).to(dt)
        T = shape[2]
        mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
        scale = 1.0 / math.sqrt(shape[3])

        def run():
            att = (q @ k.transpose(-2, -1)) * scale
            att = att.masked_fill(mask == 0, float("-inf"))
            att = torch.nn.functional.dropout(torch.softmax(att, dim=-1), 0.0, training=True)
            (att @ v).backward(g)
        return "ms_per_batch", 1, 1, run
    raise ValueError(name)


def metric_of(metric, units, inner, seconds):
    if metric in ("samples_per_s", "tokens_per_s"):
        return units / seconds
    if metric == "ms_per_batch":
        return seconds * 1e3
    if metric == "gflops":
        return units / seconds * 1e-9
    return seconds * 1e6 / inner


def bench_torch(name, precision, repeats, warmup):
    metric, units, inner, run = make(name, precision)
    for _ in range(warmup):
        run()
    values = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        values.append(metric_of(metric, units, inner, time.perf_counter() - t0))
    return metric, statistics.median(values)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ember", default="build/tools/ember/ember")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--workload", action="append", choices=WORKLOADS)
    p.add_argument("--channels-last", action="store_true", help="PyTorch's ResNets in channels_last")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    global CHANNELS_LAST
    CHANNELS_LAST = a.channels_last
    # tiny-op is an fp32 workload (ember refuses it in bf16): the default list leaves it out there.
    names = a.workload or [w for w in WORKLOADS if a.precision == "fp32" or w != "tiny-op"]
    torch.set_num_threads(a.threads)

    rows = []
    for name in names:
        metric, t = bench_torch(name, a.precision, a.repeats, a.warmup)
        cmd = [a.ember, "bench", "--workload", name, "--threads", str(a.threads), "--repeats", str(a.repeats),
               "--warmup", str(a.warmup), "--precision", a.precision, "--json"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            rows.append({"workload": name, "metric": metric, "pytorch": t, "ember": None, "ratio": None,
                         "error": r.stderr.strip()})
            continue
        e = json.loads(r.stdout.strip().splitlines()[-1])["median"]
        ratio = e / t if HIGHER_IS_BETTER[metric] else t / e
        rows.append({"workload": name, "metric": metric, "pytorch": t, "ember": e, "ratio": ratio})

    if a.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"torch {torch.__version__} ({'channels_last' if a.channels_last else 'NCHW'}), {a.threads} threads, {a.precision}, median of {a.repeats} runs "
          f"after {a.warmup} warm-up; ratio > 1 means ember is better")
    print(f"{'workload':<15} {'metric':<14} {'pytorch':>12} {'ember':>12} {'ratio':>8}")
    for row in rows:
        if row["ember"] is None:
            print(f"{row['workload']:<15} {row['metric']:<14} {row['pytorch']:>12.4g} {'error':>12}  {row['error']}")
        else:
            print(f"{row['workload']:<15} {row['metric']:<14} {row['pytorch']:>12.4g} {row['ember']:>12.4g} "
                  f"{row['ratio']:>7.2f}x")


if __name__ == "__main__":
    sys.exit(main())
