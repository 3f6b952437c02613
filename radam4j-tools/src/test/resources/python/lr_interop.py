"""Scheduler state dicts between radam4j and Python PyTorch (LrSchedulerInteropTest).

    lr_interop.py RECORDER CONFIG.json save K N OUT.pt   build, step K times, torch.save(state_dict()),
                                                         then step N more; print the N lrs lists (JSON)
    lr_interop.py RECORDER CONFIG.json continue FILE N   build fresh, load FILE (and set the groups' lrs
                                                         and betas[0] to the saved last values), step N
                                                         times; print the N lrs lists (JSON)

RECORDER is scripts/record_lr_schedulers.py (its build() is reused); CONFIG.json holds one run.
"""
import importlib.util
import json
import sys

import torch


def main(argv):
    spec = importlib.util.spec_from_file_location("recorder", argv[1])
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    with open(argv[2]) as f:
        run = json.load(f)
    params = [torch.zeros(1, requires_grad=True) for _ in run["lrs"]]
    optimizer = torch.optim.RAdam([{"params": [p], "lr": lr} for p, lr in zip(params, run["lrs"])])
    scheduler = recorder.build(optimizer, run)
    metrics = run.get("metrics")
    done = 0

    def step():
        nonlocal done
        optimizer.step()
        if metrics is not None:
            scheduler.step(metrics[done % len(metrics)])
        else:
            scheduler.step()
        done += 1
        return [float(g["lr"]) for g in optimizer.param_groups]

    if argv[3] == "save":
        k, n = int(argv[4]), int(argv[5])
        for _ in range(k):
            step()
        torch.save(scheduler.state_dict(), argv[6])
        print(json.dumps([step() for _ in range(n)]))
    else:
        state = torch.load(argv[4])
        scheduler.load_state_dict(state)
        last = state["_last_lr"]
        for g, lr in zip(optimizer.param_groups, last):
            g["lr"] = lr
        done = state.get("last_epoch", 0)
        print(json.dumps([step() for _ in range(int(argv[5]))]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
