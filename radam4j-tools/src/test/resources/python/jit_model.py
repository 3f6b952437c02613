"""A TorchScript model for FinetuneTest, made and checked with the installed PyTorch. (The Linear before the
BatchNorm has no bias, as usual: BatchNorm cancels its gradient, which would leave RAdam to normalise rounding noise.)

    jit_model.py make DIR            script Linear-BatchNorm-ReLU-Linear, save DIR/model.pt, and DIR/data.pt
                                     ({"x", "y"}); print nothing
    jit_model.py check DIR CKPT K LR load CKPT's "model" into DIR/model.pt with strict=True, print the eval loss;
                                     then torch.optim.RAdam loads CKPT's "optimizer" and trains K steps in train
                                     mode; print JSON {"eval_loss", "params": {name: [values]}}
"""
import json
import sys

import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential(torch.nn.Linear(6, 16, bias=False), torch.nn.BatchNorm1d(16),
                                            torch.nn.ReLU())
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


def make(d):
    torch.manual_seed(0)
    torch.jit.script(Net()).save(d + "/model.pt")
    x = torch.randn(64, 6)
    y = torch.randn(64, 3)
    torch.save({"x": x, "y": y}, d + "/data.pt")


def check(d, ckpt_path, k, lr):
    model = torch.jit.load(d + "/model.pt")
    data = torch.load(d + "/data.pt")
    ckpt = torch.load(ckpt_path)
    model.load_state_dict(ckpt["model"], strict=True)
    model.eval()
    with torch.no_grad():
        eval_loss = torch.nn.functional.mse_loss(model(data["x"]), data["y"]).item()
    model.train()
    opt = torch.optim.RAdam(model.parameters(), lr=lr)
    opt.load_state_dict(ckpt["optimizer"])
    for _ in range(k):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(data["x"]), data["y"])
        loss.backward()
        opt.step()
    params = {name: p.detach().reshape(-1).tolist() for name, p in model.named_parameters()}
    print(json.dumps({"eval_loss": eval_loss, "params": params}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
