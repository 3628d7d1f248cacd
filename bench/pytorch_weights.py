"""Cross-checks weight portability with PyTorch (run with Debian's /usr/bin/python3, python3-torch).

1. Loads ember's model.safetensors into PyTorch's lenet (same layout, strict) and evaluates it on
   the MNIST test files: the accuracy must equal `ember eval`'s.
2. Writes PyTorch's freshly initialised lenet as safetensors (bench/safetensors_io.py: the format
   written by hand, byte for byte as the safetensors library does) for `ember eval --weights` to load.

usage: /usr/bin/python3 bench/pytorch_weights.py RUN/model.safetensors DATA_DIR OUT.safetensors
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

from safetensors_io import load_safetensors, save_safetensors

def lenet():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def read_idx(path, images):
    raw = open(path, "rb").read()
    if images:
        n, r, c = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 1, r, c)
    return np.frombuffer(raw[8:], dtype=np.uint8)


def main():
    weights, data, out = sys.argv[1:4]
    torch.set_num_threads(2)
    m = lenet()
    m.load_state_dict(load_safetensors(weights), strict=True)
    m.eval()
    x = torch.from_numpy(read_idx(f"{data}/t10k-images-idx3-ubyte", True).astype(np.float32) / 255.0)
    x = (x - 0.1307) / 0.3081
    y = torch.from_numpy(read_idx(f"{data}/t10k-labels-idx1-ubyte", False).astype(np.int64))
    with torch.no_grad():
        acc = (m(x).argmax(1) == y).float().mean().item()
    print(json.dumps({"pytorch_accuracy_of_ember_weights": acc}))
    torch.manual_seed(0)
    save_safetensors(out, lenet().state_dict())
    print(f"wrote PyTorch-initialised lenet weights to {out}")


if __name__ == "__main__":
    main()
