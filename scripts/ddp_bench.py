#!/usr/bin/env python3
"""PyTorch's own data-parallel loop on the model `scripts/radam4j dist-bench` times, for a side-by-side figure.

The model: 40 float32 params of ELEMENTS*(i%7+1)/160 elements (i = 0..39), loss = sum over i of (p_i * c_i).sum()
with fixed random c_i. After untimed steps (at least 30, and 2 s), each step, timed per rank: forward and backward through DistributedDataParallel (Gloo,
gradient all-reduce overlapped with backward), ZeroRedundancyOptimizer(RAdam, parameters_as_bucket_view=True)
step, zero_grad. Prints (and with --out writes) "STATE_BYTES STEP_MS FORWARD_MS BACKWARD_MS OPTIMIZER_MS" for this
rank, medians (optimizer: step and zero_grad).

One rank, as torchrun starts it (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment):

    ddp_bench.py [--elements MILLIONS] [--steps S] [--out FILE]

or every rank on this machine: ddp_bench.py --spawn N [--elements MILLIONS] [--steps S]
Needs only torch (PyTorch 1.13 or newer, built with distributed support).
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel


WARM_UP = 30  # untimed steps first, at least this many and until WARM_UP_S have passed on rank 0, as dist-bench's
WARM_UP_S = 2.0  # Java side takes


class Sink(torch.nn.Module):
    def __init__(self, total):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        sizes = [total * (i % 7 + 1) // 160 for i in range(40)]
        self.ps = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(n, generator=g)) for n in sizes])
        self.cs = [torch.randn(n, generator=g) for n in sizes]

    def forward(self):
        return sum((p * c).sum() for p, c in zip(self.ps, self.cs))


def run_rank(elements, steps, out):
    dist.init_process_group("gloo")
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // dist.get_world_size()))
    model = Sink(int(elements * 1e6))
    ddp = DistributedDataParallel(model)
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=torch.optim.RAdam, parameters_as_bucket_view=True,
                                  lr=1e-3)
    def step():
        t0 = time.perf_counter()
        loss = ddp()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        return (t3 - t0) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3

    warm_until = time.perf_counter() + WARM_UP_S
    warmed = 0
    while True:
        step()
        warmed += 1
        if warmed >= WARM_UP:
            more = torch.tensor([1.0 if dist.get_rank() == 0 and time.perf_counter() < warm_until else 0.0])
            dist.broadcast(more, 0)
            if more.item() == 0:
                break
    times = [step() for _ in range(steps)]
    state = sum(t.numel() * t.element_size() for s in opt.optim.state.values() for t in s.values()
                if isinstance(t, torch.Tensor))
    line = "%d " % state + " ".join("%.3f" % statistics.median(t[k] for t in times) for k in range(4))
    if out:
        with open(out, "w") as f:
            f.write(line)
    print("rank %d of %d: state bytes, median ms of step, forward, backward, optimizer: %s"
          % (dist.get_rank(), dist.get_world_size(), line))
    dist.barrier()
    dist.destroy_process_group()


def spawn(n, elements, steps):
    import socket
    import subprocess
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for r in range(n):
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(n), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, __file__, "--elements", str(elements), "--steps", str(steps)],
                                      env=env))
    return max(p.wait() for p in procs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elements", type=float, default=4.0, help="millions of float32 elements (default 4)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out", help="write 'STATE_BYTES STEP_MS FORWARD_MS BACKWARD_MS OPTIMIZER_MS' here")
    ap.add_argument("--spawn", type=int, help="start this many local ranks")
    a = ap.parse_args()
    if a.spawn:
        sys.exit(spawn(a.spawn, a.elements, a.steps))
    run_rank(a.elements, a.steps, a.out)


if __name__ == "__main__":
    main()
