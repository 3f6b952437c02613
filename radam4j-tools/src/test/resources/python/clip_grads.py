"""Records torch.nn.utils.clip_grad_norm_ and clip_grad_value_ on random gradients, for ClipGradInteropTest.

usage: clip_grads.py OUT.pt
Writes {'torch': version, 'grads': [tensors], 'norm': [cases], 'value': [cases]}: each norm case
{'norm_type', 'max_norm', 'total', 'after'} and each value case {'clip_value', 'after'}, 'after' the clipped
gradients in order.
"""
import math
import sys

import torch


def params(grads):
    ps = []
    for g in grads:
        p = torch.zeros_like(g, requires_grad=True)
        p.grad = g.clone()
        ps.append(p)
    return ps


def main():
    torch.manual_seed(0)
    grads = [torch.randn(7, 5), torch.randn(13) * 3, torch.randn(2, 3, 4, dtype=torch.float64),
             torch.randn(()) * 0.1, torch.randn(40, dtype=torch.float64) * 10]
    norm = []
    for norm_type in [2.0, 1.0, math.inf, 3.5, 0.5]:
        for max_norm in [0.1, 1.0, 1e6]:
            ps = params(grads)
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
            norm.append({'norm_type': norm_type, 'max_norm': max_norm, 'total': total.clone(),
                         'after': [p.grad.clone() for p in ps]})
    value = []
    for clip_value in [0.01, 0.5, 100.0]:
        ps = params(grads)
        torch.nn.utils.clip_grad_value_(ps, clip_value)
        value.append({'clip_value': clip_value, 'after': [p.grad.clone() for p in ps]})
    torch.save({'torch': str(torch.__version__), 'grads': grads, 'norm': norm, 'value': value}, sys.argv[1])


if __name__ == '__main__':
    main()
