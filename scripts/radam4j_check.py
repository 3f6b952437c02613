#!/usr/bin/env python3
"""Replay a radam4j recording (docs/recording-format.md) in Python's torch.optim.RAdam and report each case.

    python3 scripts/radam4j_check.py RECORDING.pt

Prints `<name>: bitwise`, `<name>: within-tolerance max_ulp=N [note]` or `<name>: FAIL step S, param P <tensor>
element E: python X, recorded Y`, then `N passed, M failed`, as `scripts/radam4j parity` does in Java. Options this
PyTorch lacks (decoupled_weight_decay before 2.0, say) make the case fail with a note when they are set, and are
dropped when they are at their default.
"""
import inspect
import struct
import sys

import torch

FORMAT = "radam4j-recording/1"
DEFAULT_OFF = {"decoupled_weight_decay": False, "maximize": False, "capturable": False, "differentiable": False,
               "foreach": None, "fused": None}


def supported_options():
    return set(inspect.signature(torch.optim.RAdam.__init__).parameters) - {"self", "params"}


def clean(options, supported):
    out = {}
    for k, v in options.items():
        if k in supported:
            out[k] = v.clone() if torch.is_tensor(v) else v
        elif k in DEFAULT_OFF and v in (DEFAULT_OFF[k], False, None):
            continue
        elif k in DEFAULT_OFF:
            raise ValueError("option %s=%r is not supported by PyTorch %s" % (k, v, torch.__version__))
    return out


def ordered(x, bits):
    return x if x >= 0 else -(x & ((1 << (bits - 1)) - 1))


def ulps(a, b, dtype):
    if dtype == torch.float64:
        fa = struct.unpack("<q", struct.pack("<d", a))[0]
        fb = struct.unpack("<q", struct.pack("<d", b))[0]
        return abs(ordered(fa, 64) - ordered(fb, 64))
    fa = struct.unpack("<i", struct.pack("<f", a))[0]
    fb = struct.unpack("<i", struct.pack("<f", b))[0]
    shift = 16 if dtype == torch.bfloat16 else 13 if dtype == torch.float16 else 0
    return abs(ordered(fa, 32) - ordered(fb, 32)) >> shift


TOL = {torch.float64: (1e-10, 1e-13), torch.float32: (2e-5, 1e-7), torch.complex64: (2e-5, 1e-7),
       torch.bfloat16: (2e-2, 1e-5), torch.float16: (2e-3, 1e-5)}


def replay(case, producer, version):
    supported = supported_options()
    try:
        defaults = clean(case["defaults"], supported)
        groups_opts = [clean(g["options"], supported) for g in case["groups"]]
    except ValueError as e:
        return "FAIL " + str(e)
    params = [t.detach().clone().requires_grad_(True) for t in case["init"]]
    groups = [dict(params=[params[i] for i in g["params"]], **o) for g, o in zip(case["groups"], groups_opts)]
    opt = torch.optim.RAdam(groups, **defaults)
    max_ulp = 0
    for s, step in enumerate(case["steps"]):
        for g, change in zip(opt.param_groups, step.get("options") or []):
            try:
                g.update(clean(change, supported))
            except ValueError as e:
                return "FAIL step %d: %s" % (s + 1, e)
        for p, grad in zip(params, step["grads"]):
            p.grad = None if grad is None else grad.detach().clone()
        opt.step()
        expect = step["expect"]
        for i, p in enumerate(params):
            st = opt.state.get(p, {})
            for what, mine in (("params", p.detach()), ("exp_avg", st.get("exp_avg")), ("exp_avg_sq", st.get("exp_avg_sq")),
                               ("step", st.get("step"))):
                theirs = expect[what][i]
                where = "step %d, param %d %s" % (s + 1, i, what)
                if mine is None or theirs is None:
                    if (mine is None) != (theirs is None):
                        return "FAIL " + where + ": state on one side only"
                    continue
                mine = torch.as_tensor(mine)
                a = torch.view_as_real(mine) if mine.is_complex() else mine
                b = torch.view_as_real(theirs) if theirs.is_complex() else theirs
                rtol, atol = TOL.get(mine.dtype, (2e-5, 1e-7))
                x = a.double().reshape(-1).tolist()
                y = b.double().reshape(-1).tolist()
                for e, (u, v) in enumerate(zip(x, y)):
                    if u == v and str(u) == str(v) or (u != u and v != v):
                        continue
                    max_ulp = max(max_ulp, ulps(u, v, mine.dtype))
                    if not abs(u - v) <= atol + rtol * abs(v):
                        return "FAIL %s element %d: python %r, recorded %r" % (where, e, u, v)
    if max_ulp == 0:
        return "bitwise"
    same_order = producer == "python" and version.split("+")[0] == torch.__version__.split("+")[0]
    note = "" if same_order else " (recorded with %s, replayed with PyTorch %s: op orders differ, bitwise not expected)" % (
        version, torch.__version__)
    return "within-tolerance max_ulp=%d%s" % (max_ulp, note)


def main(argv):
    if len(argv) != 2:
        print("usage: radam4j_check.py RECORDING.pt", file=sys.stderr)
        return 2
    rec = torch.load(argv[1])
    if not isinstance(rec, dict) or rec.get("format") != FORMAT:
        print(argv[1] + ": FAIL not a radam4j recording (format %s)" % FORMAT)
        return 1
    passed = failed = 0
    for case in rec["cases"]:
        try:
            verdict = replay(case, rec.get("producer", "?"), str(rec.get("torch_version", "?")))
        except Exception as e:  # this PyTorch cannot run the case (a tensor lr on 1.13's foreach path, say)
            verdict = "FAIL PyTorch %s cannot run it: %s: %s" % (torch.__version__, type(e).__name__, str(e).splitlines()[0])
        print("%s: %s" % (case["name"], verdict))
        if verdict.startswith("FAIL"):
            failed += 1
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
