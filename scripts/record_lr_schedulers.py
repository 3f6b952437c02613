#!/usr/bin/env python3
"""Record PyTorch learning-rate schedules for radam4j's lr-parity check.

    python3 scripts/record_lr_schedulers.py CONFIG.json OUT.json

CONFIG.json is a list of scheduler runs (docs/lr-schedulers.md). For each run this builds torch.optim.RAdam
with one group per initial lr, the scheduler, and records every group's lr (and betas[0]) after construction
and after each of `steps` steps. It needs nothing but torch; a run the installed PyTorch cannot build is
recorded with its error.
"""
import json
import sys

import torch
from torch.optim import lr_scheduler


def make_lambda(spec):
    kind = spec["kind"]
    if kind == "power":
        base = spec["base"]
        return lambda epoch: base ** epoch
    if kind == "constant":
        value = spec["value"]
        return lambda epoch: value
    if kind == "linear_warmup":
        steps = spec["steps"]
        return lambda epoch: min(1.0, (epoch + 1) / steps)
    raise ValueError("unknown lambda kind " + kind)


def build(optimizer, spec):
    cls = getattr(lr_scheduler, spec["class"])
    kwargs = dict(spec.get("kwargs", {}))
    if spec["class"] in ("LambdaLR", "MultiplicativeLR"):
        kwargs["lr_lambda"] = make_lambda(kwargs["lr_lambda"])
    if spec["class"] == "SequentialLR":
        children = [build(optimizer, c) for c in spec["children"]]
        return cls(optimizer, schedulers=children, **kwargs)
    if spec["class"] == "ChainedScheduler":
        children = [build(optimizer, c) for c in spec["children"]]
        return cls(children)
    return cls(optimizer, **kwargs)


def snapshot(optimizer):
    lrs = [float(g["lr"]) for g in optimizer.param_groups]
    beta1 = [float(g["betas"][0]) for g in optimizer.param_groups]
    return lrs, beta1


def record(run):
    params = [torch.zeros(1, requires_grad=True) for _ in run["lrs"]]
    optimizer = torch.optim.RAdam([{"params": [p], "lr": lr} for p, lr in zip(params, run["lrs"])])
    out = {"name": run["name"], "config": run, "lrs": [], "beta1": [], "error": None}
    try:
        scheduler = build(optimizer, run)
        lrs, beta1 = snapshot(optimizer)
        out["lrs"].append(lrs)
        out["beta1"].append(beta1)
        metrics = run.get("metrics")
        for s in range(run["steps"]):
            optimizer.step()
            if metrics is not None:
                scheduler.step(metrics[s % len(metrics)])
            else:
                scheduler.step()
            lrs, beta1 = snapshot(optimizer)
            out["lrs"].append(lrs)
            out["beta1"].append(beta1)
    except Exception as e:  # a run this PyTorch cannot build or step: recorded, not fatal
        out["error"] = type(e).__name__ + ": " + str(e)
    return out


def main(argv):
    if len(argv) != 3:
        print("usage: record_lr_schedulers.py CONFIG.json OUT.json", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        runs = json.load(f)
    result = {"format": "radam4j-lr-recording/1", "torch_version": torch.__version__,
              "runs": [record(run) for run in runs]}
    with open(argv[2], "w") as f:
        json.dump(result, f, indent=1)
    errors = sum(1 for r in result["runs"] if r["error"])
    print("recorded %d runs with torch %s (%d could not be built)" % (len(runs), torch.__version__, errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
