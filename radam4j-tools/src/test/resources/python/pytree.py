"""Test helper for radam4j's interop tests, run with Debian's python3-torch (PyTorch 1.13).

  pytree.py dump FILE.pt        torch.load(FILE) with its defaults, printed in the golden files' JSON encoding
  pytree.py globals FILE.pt     the pickle globals data.pkl uses, one per line (pickletools)
  pytree.py dumpdir DIR         {"<file>": {"value": <dump>, "globals": [...]}} for every .pt in DIR
  pytree.py write JSON FILE.pt  torch.save of the value the JSON encodes ({"odict": ...} is an OrderedDict
                                carrying _metadata, as a module's state_dict() is)
"""
import base64
import collections
import json
import pickletools
import sys
import zipfile

import torch

DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.complex64: "complex64", torch.int64: "int64", torch.int32: "int32", torch.bool: "bool",
}
BY_NAME = {v: k for k, v in DTYPES.items()}


def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.is_complex():
        t = torch.view_as_real(t).reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return bytes(t.view(torch.uint8).numpy().tobytes()) if t.numel() else b""


def encode(v):
    if isinstance(v, torch.Tensor):
        return {"tensor": {"dtype": DTYPES[v.dtype], "shape": list(v.shape), "b64": base64.b64encode(raw(v)).decode()}}
    if isinstance(v, dict):
        return {"dict": [[encode(k), encode(x)] for k, x in v.items()]}
    if isinstance(v, tuple):
        return {"tuple": [encode(x) for x in v]}
    if isinstance(v, list):
        return {"list": [encode(x) for x in v]}
    if isinstance(v, float) and v != v:
        return {"float": "nan"}
    return v


def decode(v):
    if isinstance(v, dict):
        if "tensor" in v:
            d = v["tensor"]
            dtype = BY_NAME[d["dtype"]]
            data = bytearray(base64.b64decode(d["b64"]))
            if dtype == torch.bool:
                return torch.frombuffer(data, dtype=torch.uint8).to(torch.bool).reshape(d["shape"]).clone()
            if dtype.is_complex:
                real = torch.frombuffer(data, dtype=torch.float32) if len(data) else torch.zeros(0)
                return torch.view_as_complex(real.reshape(list(d["shape"]) + [2]).clone())
            flat = torch.frombuffer(data, dtype=dtype) if len(data) else torch.zeros(0, dtype=dtype)
            return flat.reshape(d["shape"]).clone()
        if "dict" in v:
            return {decode(k): decode(x) for k, x in v["dict"]}
        if "odict" in v:
            od = collections.OrderedDict((decode(k), decode(x)) for k, x in v["odict"])
            od._metadata = collections.OrderedDict([("", {"version": 1})])
            return od
        if "tuple" in v:
            return tuple(decode(x) for x in v["tuple"])
        if "list" in v:
            return [decode(x) for x in v["list"]]
    return v


def pickle_globals(path):
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        data = z.read(name)
    found = []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "STACK_GLOBAL", "INST"):
            found.append(str(arg).replace(" ", "."))
    return found


def main():
    cmd = sys.argv[1]
    if cmd == "dump":
        print(json.dumps(encode(torch.load(sys.argv[2]))))
    elif cmd == "dumpdir":
        import os
        out = {}
        for name in sorted(os.listdir(sys.argv[2])):
            if name.endswith(".pt"):
                path = os.path.join(sys.argv[2], name)
                out[name] = {"value": encode(torch.load(path)), "globals": sorted(set(pickle_globals(path)))}
        print(json.dumps(out))
    elif cmd == "globals":
        print("\n".join(sorted(set(pickle_globals(sys.argv[2])))))
    elif cmd == "write":
        with open(sys.argv[2]) as f:
            torch.save(decode(json.load(f)), sys.argv[3])
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
