"""Train the offline default model and write the weights that ship with cnnwidget.

    nice -n 5 python scripts/train_default_model.py            # ≈ 17-19 min on 2 CPU cores

Everything is fixed by ``--seed``: the training images (drawn on the fly from
:func:`cnnwidget.data.make_batch`), the initial weights and the order of
operations, so a run on the same machine reproduces ``default_net.pt``. The
held-out set is generated from a different seed and never trained on.

The checkpoint is a plain dictionary of tensors, strings and numbers (readable
with ``torch.load(..., weights_only=True)``); weights are stored in float16
and the recorded accuracy is measured with those float16 weights.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

# On a shared machine, OpenMP threads that spin while waiting steal the cores
# they wait for; passive waiting keeps training fast when other jobs run too.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnwidget.data.synthetic import CLASSES, make_batch  # noqa: E402
from cnnwidget.engine.preprocessing import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from cnnwidget.models.default_net import DefaultNet  # noqa: E402

SIZE = 128
HELD_OUT_SEED = 1_000_003


def evaluate(model, images, labels, batch: int = 250) -> float:
    """Top-1 accuracy (in [0, 1]) of ``model`` on pre-rendered images."""
    model.eval()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = (images[i : i + batch] - mean) / std
            correct += (model(x).argmax(1) == labels[i : i + batch]).sum().item()
    return correct / len(images)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=96)
    parser.add_argument("--lr", type=float, default=0.15, help="peak learning rate (one-cycle SGD)")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--held-out", type=int, default=2000, help="size of the held-out set")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "cnnwidget" / "models" / "default_net.pt")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    start, cpu_start = time.perf_counter(), time.process_time()

    model = DefaultNet(num_classes=len(CLASSES))
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        momentum=0.9,
        nesterov=True,
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.15)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    stream = torch.Generator().manual_seed(args.seed)
    held_x, held_y = make_batch(args.held_out, size=SIZE, seed=HELD_OUT_SEED)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters; {len(CLASSES)} classes; "
          f"{args.steps} steps of {args.batch} images at {SIZE} px", flush=True)

    running_loss, running_acc = 0.0, 0.0
    for step in range(1, args.steps + 1):
        model.train()
        x, y = make_batch(args.batch, size=SIZE, generator=stream)
        logits = model((x - mean) / std)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running_loss = 0.98 * running_loss + 0.02 * loss.item() if step > 1 else loss.item()
        acc = (logits.argmax(1) == y).float().mean().item()
        running_acc = 0.98 * running_acc + 0.02 * acc if step > 1 else acc
        if step % 100 == 0 or step == args.steps:
            elapsed = time.perf_counter() - start
            print(f"step {step:5d}  loss {running_loss:.3f}  train acc {running_acc:.3f}  "
                  f"lr {sched.get_last_lr()[0]:.4f}  {elapsed / 60:.1f} min", flush=True)
        if not math.isfinite(loss.item()):
            print("training diverged; lower --lr", file=sys.stderr)
            return 1

    # Ship float16 weights, and measure the accuracy of exactly what ships.
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    accuracy = evaluate(model, held_x, held_y)
    minutes = (time.perf_counter() - start) / 60
    cpu_minutes = (time.process_time() - cpu_start) / 60
    checkpoint = {
        "format": "cnnwidget.DefaultNet/1",
        "state_dict": state,
        "classes": list(CLASSES),
        "preprocess": {"size": SIZE, "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "held_out_accuracy": accuracy,
        "held_out": {"images": args.held_out, "seed": HELD_OUT_SEED},
        "training": {
            "seed": args.seed,
            "steps": args.steps,
            "batch": args.batch,
            "lr": args.lr,
            "weight_decay": args.weight_decay,
            "threads": args.threads,
            "minutes": round(minutes, 1),
            "cpu_minutes": round(cpu_minutes, 1),
            "torch": str(torch.__version__),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, args.out)
    size_mb = args.out.stat().st_size / 1e6
    print(f"held-out accuracy {accuracy:.2%} on {args.held_out} images; "
          f"{minutes:.1f} min wall, {cpu_minutes:.1f} min CPU; wrote {args.out} ({size_mb:.2f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
