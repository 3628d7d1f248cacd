"""The safetensors format read and written by hand (python has no safetensors package here): an
8-byte little-endian header length, the JSON header (names sorted, "__metadata__" first when
given, padded with spaces to 8 bytes), then each tensor's raw little-endian bytes in name order,
byte for byte as the safetensors library writes it. Shared by bench/pytorch_weights.py and the
PyTorch fixture generators under tests/."""
import json
import struct

import torch

DT = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "F16": torch.float16,
      "BF16": torch.bfloat16, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}


def save_safetensors(path, tensors, metadata=None):
    """Writes tensors (name -> torch tensor or numpy array) and optional string metadata."""
    inv = {v: k for k, v in DT.items()}
    header, blobs, off = ({"__metadata__": metadata} if metadata is not None else {}), [], 0
    for k in sorted(tensors):
        t = tensors[k]
        t = (torch.from_numpy(t) if not isinstance(t, torch.Tensor) else t).detach().contiguous()
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[k] = {"dtype": inv[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    """name -> torch tensor (metadata skipped)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    buf = raw[8 + n:]
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(buf[b:e]), dtype=DT[v["dtype"]]) if e > b else torch.empty(0, dtype=DT[v["dtype"]])
        out[k] = t.reshape(v["shape"])
    return out
