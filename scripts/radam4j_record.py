#!/usr/bin/env python3
"""Record torch.optim.RAdam runs for radam4j's parity replay (format: docs/recording-format.md).

As a module:

    from radam4j_record import Recorder
    opt = torch.optim.RAdam(model.parameters(), lr=1e-3)
    with Recorder(opt, "run.pt", name="my_run"):      # or rec = Recorder(...); ...; rec.close()
        for batch in data:
            opt.zero_grad(); loss_fn(model(batch)).backward(); opt.step()

Then `scripts/radam4j parity run.pt` replays it in Java. It needs nothing but torch, from PyTorch 1.13 (steps are
wrapped) to 2.x (step hooks). As a script, `radam4j_record.py OUT.pt` records a few built-in runs.
"""
import sys

import torch

FORMAT = "radam4j-recording/1"
OPTION_KEYS = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "foreach", "maximize", "capturable",
               "differentiable")


def _copy(v):
    if isinstance(v, torch.Tensor):
        return v.detach().clone()
    if isinstance(v, (list, tuple)):
        return tuple(_copy(x) for x in v) if isinstance(v, tuple) else [_copy(x) for x in v]
    return v


def _options(group):
    """The group's RAdam options this PyTorch has (options it lacks are absent)."""
    return {k: _copy(group[k]) for k in OPTION_KEYS if k in group}


class Recorder:
    """Records every step of `optimizer` into `path` (written by close())."""

    def __init__(self, optimizer, path, name="run"):
        if not isinstance(optimizer, torch.optim.RAdam):
            raise TypeError("Recorder records torch.optim.RAdam, not " + type(optimizer).__name__)
        self.optimizer = optimizer
        self.path = path
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = []
        for g in optimizer.param_groups:
            groups.append({"params": [index[id(p)] for p in g["params"]], "options": _options(g)})
        self.case = {"name": name, "defaults": _options(optimizer.defaults), "groups": groups,
                     "init": [p.detach().clone() for p in self.params], "steps": []}
        self._pending = None
        self._handles = []
        if hasattr(optimizer, "register_step_pre_hook"):
            self._handles.append(optimizer.register_step_pre_hook(self._pre_hook))
            self._handles.append(optimizer.register_step_post_hook(lambda opt, args, kwargs: self._after()))
        else:
            original = optimizer.step

            def step(closure=None):
                self._before()
                if closure is None:
                    self._grads()
                    result = original()
                else:
                    result = original(self._wrap(closure))
                self._after()
                return result

            optimizer.step = step
            self._original = original

    def _pre_hook(self, opt, args, kwargs):
        self._before()
        closure = kwargs.get("closure", args[0] if args else None)
        if closure is None:
            self._grads()
            return None
        return (), {"closure": self._wrap(closure)}

    def _wrap(self, closure):
        def wrapped():
            loss = closure()
            self._grads()
            return loss
        return wrapped

    def _before(self):
        self._pending = {"options": [_options(g) for g in self.optimizer.param_groups]}

    def _grads(self):
        # before the update (PyTorch 1.13's foreach path adds weight decay into the gradients in place), and after
        # the closure when there is one
        self._pending["grads"] = [None if p.grad is None else p.grad.detach().clone() for p in self.params]

    def _after(self):
        state = self.optimizer.state
        expect = {"params": [p.detach().clone() for p in self.params], "exp_avg": [], "exp_avg_sq": [], "step": []}
        for p in self.params:
            s = state.get(p, {})
            for k in ("exp_avg", "exp_avg_sq", "step"):
                v = s.get(k)
                expect[k].append(None if v is None else (v.detach().clone() if torch.is_tensor(v) else torch.tensor(float(v))))
        self._pending["expect"] = expect
        self.case["steps"].append(self._pending)
        self._pending = None

    def close(self):
        for h in self._handles:
            h.remove()
        self._handles = []
        if hasattr(self, "_original"):
            self.optimizer.step = self._original
            del self._original
        save([self.case], self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def save(cases, path, producer="python"):
    torch.save({"format": FORMAT, "producer": producer, "torch_version": str(torch.__version__), "cases": cases}, path)


def _builtin_runs():
    """A few runs covering the for-loop and foreach, two groups, missing grads, lr changes and weight decay."""
    cases = []
    for foreach in (False, True):
        torch.manual_seed(7)
        ps = [torch.randn(5, 3, requires_grad=True), torch.randn(4, requires_grad=True), torch.randn(6, requires_grad=True)]
        opt = torch.optim.RAdam([{"params": [ps[0], ps[2]], "weight_decay": 0.1},
                                 {"params": [ps[1]], "lr": 0.002, "betas": (0.8, 0.99)}], lr=0.01, foreach=foreach)
        rec = Recorder(opt, None, name=("foreach" if foreach else "forloop") + "_two_groups")
        for s in range(12):
            for i, p in enumerate(ps):
                p.grad = None if (s + i) % 5 == 3 else torch.randn_like(p)
            if s == 6:
                opt.param_groups[0]["lr"] = 0.005
            opt.step()
        for h in rec._handles:
            h.remove()
        if hasattr(rec, "_original"):
            opt.step = rec._original
        cases.append(rec.case)
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: radam4j_record.py OUT.pt   (or import Recorder from it)", file=sys.stderr)
        sys.exit(2)
    save(_builtin_runs(), sys.argv[1])
    print("recorded 2 runs with torch " + str(torch.__version__) + " into " + sys.argv[1])
