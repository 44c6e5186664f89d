#!/usr/bin/env python3
"""Reference trajectories for PNDM with its pseudo Runge-Kutta warm-up (skip_prk_steps false).

Run:  /usr/bin/python3 tools/reference/pndm_prk.py > src/models/providers/onnx/diffusion/schedulers/pndm-prk.golden.json
Needs torch (Debian python3-torch); computes in float64. Written from Liu et al. 2022, "Pseudo
Numerical Methods for Diffusion Models on Manifolds": the transfer phi of eq. 11, pseudo Runge-Kutta
(eq. 13: four noise evaluations at t, t-d/2, t-d/2, t-d, combined (e1 + 2 e2 + 2 e3 + e4) / 6) for the
first three steps, then pseudo linear multistep (eq. 12, fourth-order Adams-Bashforth over the e1 of
each earlier step). Not a port of mmkit's code nor of diffusers (not installed here).

Conventions mmkit documents (and this script follows): timesteps are diffusers' leading / linspace /
trailing grids; the half-way timestep of t -> t' is t' + floor((t - t') / 2); with fewer than four
steps the warm-up covers every transition but the last; after the last timestep alpha-bar is 1 with
set_alpha_to_one, else alpha-bar_0; a v-prediction output becomes noise at phi's start
(eps = sqrt(ab_t) v + sqrt(1 - ab_t) x_t).

The toy model and start sample are those of schedulers.py: at UNet call k it sees u and returns
0.3*u + 0.5*cos(0.23*i + 0.71*k); the start sample is sin(0.37*i + 0.1), for i in 0..7.
"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)
INDEX = torch.arange(8, dtype=torch.float64)

SD15 = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
            steps_offset=1, set_alpha_to_one=False, skip_prk_steps=False, clip_sample=False)


def toy_model(u, call):
    return 0.3 * u + 0.5 * torch.cos(0.23 * INDEX + 0.71 * call)


def alpha_bar_table(config):
    count = config.get("num_train_timesteps", 1000)
    low, high = config.get("beta_start", 0.0001), config.get("beta_end", 0.02)
    if config.get("beta_schedule", "linear") == "scaled_linear":
        betas = torch.linspace(math.sqrt(low), math.sqrt(high), count) ** 2
    else:
        betas = torch.linspace(low, high, count)
    return torch.cumprod(1 - betas, dim=0)


def inference_grid(config, steps):
    """Descending integer timesteps."""
    count = config.get("num_train_timesteps", 1000)
    spacing = config.get("timestep_spacing") or "leading"
    if spacing == "leading":
        ratio = count // steps
        return [k * ratio + config.get("steps_offset", 0) for k in reversed(range(steps))]
    if spacing == "linspace":
        return [int(torch.round(v)) for v in torch.linspace(0, count - 1, steps).flip(0)]
    return [int(torch.round(torch.tensor(count - k * count / steps))) - 1 for k in range(steps)]


class Reference:
    def __init__(self, config, steps):
        self.config = config
        self.alpha_bars = alpha_bar_table(config)
        self.final = 1.0 if config.get("set_alpha_to_one") else float(self.alpha_bars[0])
        self.grid = inference_grid(config, steps)
        self.calls = []

    def alpha_bar(self, timestep):
        return self.final if timestep is None else float(self.alpha_bars[timestep])

    def evaluate(self, x, timestep):
        output = toy_model(x, len(self.calls))
        self.calls.append(timestep)
        return output

    def phi(self, x, e, t, t_next):
        """Eq. 11: the transfer from x_t to x_{t_next} along the noise estimate e."""
        a, a_next = self.alpha_bar(t), self.alpha_bar(t_next)
        if self.config.get("prediction_type") == "v_prediction":
            e = math.sqrt(a) * e + math.sqrt(1 - a) * x
        denominator = a * math.sqrt(1 - a_next) + math.sqrt(a * (1 - a) * a_next)
        return math.sqrt(a_next / a) * x - (a_next - a) / denominator * e

    def run(self):
        x = torch.sin(0.37 * INDEX + 0.1)
        samples = [x]
        history = []
        count = len(self.grid)
        warm_up = min(3, count - 1)
        for step in range(count):
            t = self.grid[step]
            t_next = self.grid[step + 1] if step + 1 < count else None
            if step < warm_up:
                half = t_next + (t - t_next) // 2
                e1 = self.evaluate(x, t)
                x1 = self.phi(x, e1, t, half)
                e2 = self.evaluate(x1, half)
                x2 = self.phi(x, e2, t, half)
                e3 = self.evaluate(x2, half)
                x3 = self.phi(x, e3, t, t_next)
                e4 = self.evaluate(x3, t_next)
                x = self.phi(x, (e1 + 2 * e2 + 2 * e3 + e4) / 6, t, t_next)
                samples += [x1, x2, x3, x]
                history.append(e1)
            else:
                history.append(self.evaluate(x, t))
                recent = history[-4:]
                coefficients = {1: [1], 2: [-1, 3], 3: [5, -16, 23], 4: [-9, 37, -59, 55]}[len(recent)]
                divisor = {1: 1, 2: 2, 3: 12, 4: 24}[len(recent)]
                combined = sum(c * e for c, e in zip(coefficients, recent)) / divisor
                x = self.phi(x, combined, t, t_next)
                samples.append(x)
        return samples


CASES = [
    (SD15, 10),
    (SD15, 4),
    (SD15, 3),
    (SD15, 1),
    (dict(SD15, prediction_type="v_prediction", timestep_spacing="trailing"), 6),
    (dict(SD15, timestep_spacing="linspace", set_alpha_to_one=True), 7),
    ({}, 5),
]


def rounded(value):
    return float("%.9g" % value)


def main():
    cases = []
    for config, steps in CASES:
        reference = Reference(config, steps)
        samples = reference.run()
        cases.append({"config": config, "steps": steps, "timesteps": reference.calls,
                      "samples": [[rounded(v) for v in sample.tolist()] for sample in samples]})
    sd15_50 = Reference(SD15, 50)
    sd15_50.run()
    print(json.dumps({"sd15_50_steps_timesteps": sd15_50.calls, "cases": cases}))


if __name__ == "__main__":
    main()
