#!/usr/bin/python3
"""Reference AdamW trajectory from torch.optim.AdamW, for src/finetune/train/adamw.test.ts.

Two parameters and eight steps of gradients, all regenerated from seeds with the generator of
src/finetune/random.ts (ported in finetune_block.py); learning rates follow a warm-up + cosine
curve; weight decay 0.01; gradients clipped to global norm 1.0 with torch.nn.utils.clip_grad_norm_
before each step, as Hugging Face's Trainer does.

Run from the repository root with Debian's python (python3-torch, python3-numpy):

    /usr/bin/python3 tools/reference/adamw_reference.py

Writes src/finetune/train/testdata/adamw.golden.json.
"""

import json
import math

import torch

from finetune_block import uniform_values

SEED = 3
SHAPES = {"lora_A": [3, 4], "lora_B": [5, 3]}
STEPS = 8
PEAK = 0.01
OUT = "src/finetune/train/testdata/adamw.golden.json"


def tensor(stream, dims, scale):
    values = uniform_values(SEED, stream, math.prod(dims)) * scale
    return torch.tensor(values.astype("float32").reshape(dims))


def learning_rate(step):
    """Warm-up over 1 step then cosine to 0 at step STEPS (what cosine-schedule.ts computes for ratio 0.05)."""
    warmup = math.ceil(STEPS * 0.05)
    if step < warmup:
        return PEAK * step / max(1, warmup)
    progress = (step - warmup) / max(1, STEPS - warmup)
    return PEAK * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))


def main():
    parameters = {name: tensor(name, dims, 1.0).requires_grad_(True) for name, dims in SHAPES.items()}
    optimizer = torch.optim.AdamW(list(parameters.values()), lr=PEAK, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    trajectory = []
    norms = []
    for step in range(STEPS):
        for name, parameter in parameters.items():
            # Step 3's gradients are large, so clipping engages there.
            parameter.grad = tensor(f"grad/{step}/{name}", SHAPES[name], 5.0 if step == 3 else 0.3)
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(parameters.values()), 1.0)))
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        optimizer.step()
        trajectory.append({name: [float(x) for x in parameter.detach().flatten().tolist()]
                           for name, parameter in parameters.items()})
    golden = {"generatedBy": "tools/reference/adamw_reference.py (torch %s)" % torch.__version__,
              "seed": SEED, "shapes": SHAPES, "peak": PEAK, "weightDecay": 0.01, "maxGradNorm": 1.0,
              "gradientNorms": norms, "trajectory": trajectory}
    with open(OUT, "w") as file:
        json.dump(golden, file, separators=(",", ":"))
        file.write("\n")
    print(f"{OUT}: {STEPS} steps, gradient norms {', '.join('%.3f' % n for n in norms)}")


if __name__ == "__main__":
    main()
