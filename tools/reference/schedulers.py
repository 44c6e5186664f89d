#!/usr/bin/env python3
"""Independent reference values for mmkit's diffusion schedulers.

Run:  python3 tools/reference/schedulers.py > src/models/providers/onnx/diffusion/schedulers/schedulers.golden.json
Needs only numpy (Debian python3-numpy). Written from the published formulas (DDIM eq. 12, PNDM/PLMS
eq. 11 with the improved-Euler warm-up diffusers documents, Karras et al. 2022 Algorithm 2 and eq. 5,
k-diffusion's ancestral step, DPM-Solver++ Algorithm 2, LCM's consistency sampling) and the timestep
spacings diffusers documents (linspace / leading / trailing), in float64. Not a port of mmkit's code:
the TypeScript test runs the same toy "model" and compares trajectories against this file.

The toy model at step k sees the scaled input u and returns 0.3*u + 0.5*cos(0.23*i + 0.71*k);
ancestral/LCM noise at step k is sin(1.3*i + 2.1*k + 0.5); the start sample is
sin(0.37*i + 0.1) * init_noise_sigma, for i in 0..7.
"""
import json
import math

import numpy as np

N_VALUES = 8
IDX = np.arange(N_VALUES, dtype=np.float64)

SD15 = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
            steps_offset=1, set_alpha_to_one=False, skip_prk_steps=True, clip_sample=False)


def model(u, k):
    return 0.3 * u + 0.5 * np.cos(0.23 * IDX + 0.71 * k)


def noise(k):
    return np.sin(1.3 * IDX + 2.1 * k + 0.5)


def cfg(c, key, default):
    v = c.get(key)
    return default if v is None else v


def alpha_bars(c):
    n = c.get("num_train_timesteps", 1000)
    kind = c.get("beta_schedule", "linear")
    b0, b1 = c.get("beta_start", 0.0001), c.get("beta_end", 0.02)
    if kind == "linear":
        b = np.linspace(b0, b1, n)
    elif kind == "scaled_linear":
        b = np.linspace(b0 ** 0.5, b1 ** 0.5, n) ** 2
    else:
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        b = np.array([min(1 - f((i + 1) / n) / f(i / n), 0.999) for i in range(n)])
    return np.cumprod(1.0 - b)


def grid(c, steps, spacing, integer):
    n = c.get("num_train_timesteps", 1000)
    if spacing == "linspace":
        t = np.linspace(0, n - 1, steps)[::-1]
        return np.round(t) if integer else t
    if spacing == "leading":
        return (np.arange(steps) * (n // steps))[::-1].astype(np.float64) + c.get("steps_offset", 0)
    return np.round(np.arange(n, 0, -n / steps)) - 1


def pred_x0(c, x, out, a):
    if c.get("prediction_type", "epsilon") == "epsilon":
        return (x - math.sqrt(1 - a) * out) / math.sqrt(a)
    return math.sqrt(a) * x - math.sqrt(1 - a) * out


def pred_eps(c, x, out, a):
    if c.get("prediction_type", "epsilon") == "epsilon":
        return out
    return math.sqrt(a) * out + math.sqrt(1 - a) * x


def run_ddim(c, steps):
    ab = alpha_bars(c)
    ts = grid(c, steps, cfg(c, "timestep_spacing", "leading"), True).astype(int)
    last = 1.0 if cfg(c, "set_alpha_to_one", True) else ab[0]
    x = np.sin(0.37 * IDX + 0.1)
    xs = [x]
    for k, t in enumerate(ts):
        out = model(x, k)
        a = ab[t]
        a_prev = ab[ts[k + 1]] if k + 1 < len(ts) else last
        x0 = pred_x0(c, x, out, a)
        eps = pred_eps(c, x, out, a)
        if cfg(c, "clip_sample", True):
            x0 = np.clip(x0, -cfg(c, "clip_sample_range", 1.0), cfg(c, "clip_sample_range", 1.0))
        x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
        xs.append(x)
    return dict(timesteps=ts.tolist(), init_noise_sigma=1.0, samples=xs)


def run_pndm(c, steps):
    ab = alpha_bars(c)
    last = 1.0 if cfg(c, "set_alpha_to_one", False) else ab[0]
    g = grid(c, steps, cfg(c, "timestep_spacing", "leading"), True).astype(int)  # descending

    def phi(x, e, t_from, t_to):
        a = ab[t_from]
        a2 = ab[t_to] if t_to is not None else last
        if c.get("prediction_type", "epsilon") == "v_prediction":
            e = math.sqrt(a) * e + math.sqrt(1 - a) * x
        return math.sqrt(a2 / a) * x - (a2 - a) * e / (a * math.sqrt(1 - a2) + math.sqrt(a * (1 - a) * a2))

    nxt = lambda j: int(g[j]) if j < len(g) else None
    calls = [int(g[0])] if steps == 1 else [int(g[0]), int(g[1])] + [int(t) for t in g[1:]]
    x = np.sin(0.37 * IDX + 0.1)
    xs, eps_list, x_start = [x], [], None
    for k, t in enumerate(calls):
        out = model(x, k)
        if k == 1 and steps > 1:
            x = phi(x_start, (out + eps_list[0]) / 2, int(g[0]), int(g[1]))
        else:
            if k == 0:
                x_start = x
            eps_list.append(out)
            e = eps_list[-4:]
            if len(e) == 1:
                comb = e[0]
            elif len(e) == 2:
                comb = (3 * e[1] - e[0]) / 2
            elif len(e) == 3:
                comb = (23 * e[2] - 16 * e[1] + 5 * e[0]) / 12
            else:
                comb = (55 * e[3] - 59 * e[2] + 37 * e[1] - 9 * e[0]) / 24
            src = int(g[max(k - 1, 0)])
            x = phi(x, comb, src, nxt(max(k, 1)))
        xs.append(x)
    return dict(timesteps=calls, init_noise_sigma=1.0, samples=xs)


def train_sigmas(c):
    ab = alpha_bars(c)
    return np.sqrt((1 - ab) / ab)


def karras(lo, hi, n, rho=7.0):
    r = np.linspace(0, 1, n)
    return (hi ** (1 / rho) + r * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho


def t_of_sigma(s, sig):
    logs = np.log(sig)
    ls = math.log(s)
    i = int(np.searchsorted(logs, ls, side="right")) - 1
    i = min(max(i, 0), len(logs) - 2)
    w = np.clip((logs[i] - ls) / (logs[i] - logs[i + 1]), 0, 1)
    return (1 - w) * i + w * (i + 1)


def euler_grid(c, steps, karras_on):
    sig_train = train_sigmas(c)
    spacing = cfg(c, "timestep_spacing", "linspace")
    ts = grid(c, steps, spacing, False)
    sig = np.interp(ts, np.arange(len(sig_train)), sig_train)
    if karras_on:
        sig = karras(sig[-1], sig[0], steps)
        ts = np.array([t_of_sigma(s, sig_train) for s in sig])
    init = math.sqrt(sig.max() ** 2 + 1) if spacing == "leading" else sig.max()
    return ts, np.append(sig, 0.0), init


def denoise_ve(c, x, out, s):
    if c.get("prediction_type", "epsilon") == "epsilon":
        return x - s * out
    return out * (-s / math.sqrt(s * s + 1)) + x / (s * s + 1)


def run_euler(c, steps, ancestral=False):
    ts, sig, init = euler_grid(c, steps, cfg(c, "use_karras_sigmas", False) and not ancestral)
    x = np.sin(0.37 * IDX + 0.1) * init
    xs = [x]
    for k in range(steps):
        s, s2 = sig[k], sig[k + 1]
        out = model(x / math.sqrt(s * s + 1), k)
        d = (x - denoise_ve(c, x, out, s)) / s
        if ancestral:
            up = math.sqrt(s2 ** 2 * (s ** 2 - s2 ** 2) / s ** 2)
            down = math.sqrt(s2 ** 2 - up ** 2)
            x = x + d * (down - s) + noise(k) * up
        else:
            x = x + d * (s2 - s)
        xs.append(x)
    return dict(timesteps=ts.tolist(), sigmas=sig.tolist(), init_noise_sigma=init, samples=xs)


def run_dpm(c, steps):
    n = c.get("num_train_timesteps", 1000)
    sig_train = train_sigmas(c)
    spacing = cfg(c, "timestep_spacing", "linspace")
    if spacing == "linspace":
        ts = np.round(np.linspace(0, n - 1, steps + 1))[::-1][:-1]
    elif spacing == "leading":
        ts = (np.arange(steps + 1) * (n // (steps + 1)))[::-1][:-1] + c.get("steps_offset", 0)
    else:
        ts = np.round(np.arange(n, 0, -n / steps)) - 1
    ts = ts.astype(int)
    sig = sig_train[ts]
    if cfg(c, "use_karras_sigmas", False):
        sig = karras(sig_train[0], sig_train[-1], steps)
        ts = np.array([round(t_of_sigma(s, sig_train)) for s in sig])
    sig = np.append(sig, 0.0)
    al = 1 / np.sqrt(sig ** 2 + 1)
    sg = sig * al
    with np.errstate(divide="ignore"):
        lam = np.log(al) - np.log(sg)
    x = np.sin(0.37 * IDX + 0.1)
    xs, prev = [x], None
    for k in range(steps):
        out = model(x, k)
        if c.get("prediction_type", "epsilon") == "epsilon":
            d0 = (x - sg[k] * out) / al[k]
        else:
            d0 = al[k] * x - sg[k] * out
        h = lam[k + 1] - lam[k]
        if prev is None or k == steps - 1:
            x = (sg[k + 1] / sg[k]) * x - al[k + 1] * (math.exp(-h) - 1) * d0
        else:
            r = (lam[k] - lam[k - 1]) / h
            x = (sg[k + 1] / sg[k]) * x - al[k + 1] * (math.exp(-h) - 1) * d0 \
                - 0.5 * al[k + 1] * (math.exp(-h) - 1) * (d0 - prev) / r
        prev = d0
        xs.append(x)
    return dict(timesteps=[int(t) for t in ts], sigmas=sig.tolist(), init_noise_sigma=1.0, samples=xs)


def run_lcm(c, steps):
    ab = alpha_bars(c)
    n = c.get("num_train_timesteps", 1000)
    orig = cfg(c, "original_inference_steps", 50)
    teacher = (np.arange(1, orig + 1) * (n // orig) - 1)[::-1]
    ts = teacher[np.floor(np.linspace(0, orig, steps, endpoint=False)).astype(int)]
    x = np.sin(0.37 * IDX + 0.1)
    xs = [x]
    for k, t in enumerate(ts):
        out = model(x, k)
        st = t * cfg(c, "timestep_scaling", 10.0)
        c_skip = 0.25 / (st ** 2 + 0.25)
        c_out = st / math.sqrt(st ** 2 + 0.25)
        f = c_out * pred_x0(c, x, out, ab[t]) + c_skip * x
        if k < steps - 1:
            a2 = ab[ts[k + 1]]
            x = math.sqrt(a2) * f + math.sqrt(1 - a2) * noise(k)
        else:
            x = f
        xs.append(x)
    return dict(timesteps=[int(t) for t in ts], init_noise_sigma=1.0, samples=xs)


RUNNERS = {
    "PNDMScheduler": run_pndm,
    "DDIMScheduler": run_ddim,
    "EulerDiscreteScheduler": run_euler,
    "EulerAncestralDiscreteScheduler": lambda c, s: run_euler(c, s, ancestral=True),
    "DPMSolverMultistepScheduler": run_dpm,
    "LCMScheduler": run_lcm,
}

CASES = [
    ("PNDMScheduler", SD15, 10),
    ("PNDMScheduler", SD15, 1),
    ("PNDMScheduler", dict(SD15, prediction_type="v_prediction", timestep_spacing="trailing"), 6),
    ("DDIMScheduler", SD15, 10),
    ("DDIMScheduler", dict(SD15, prediction_type="v_prediction", timestep_spacing="linspace", clip_sample=True,
                           set_alpha_to_one=True), 7),
    ("DDIMScheduler", dict(SD15, timestep_spacing="trailing"), 3),
    ("EulerDiscreteScheduler", dict(SD15, timestep_spacing="trailing"), 1),
    ("EulerDiscreteScheduler", dict(SD15, timestep_spacing="trailing"), 4),
    ("EulerDiscreteScheduler", dict(SD15, timestep_spacing="linspace"), 10),
    ("EulerDiscreteScheduler", dict(SD15, use_karras_sigmas=True, timestep_spacing="leading"), 8),
    ("EulerDiscreteScheduler", dict(SD15, prediction_type="v_prediction", timestep_spacing="leading"), 5),
    ("EulerAncestralDiscreteScheduler", dict(SD15, timestep_spacing="linspace"), 10),
    ("EulerAncestralDiscreteScheduler", dict(SD15, timestep_spacing="trailing", prediction_type="v_prediction"), 4),
    ("DPMSolverMultistepScheduler", dict(SD15, timestep_spacing="linspace"), 10),
    ("DPMSolverMultistepScheduler", dict(SD15, timestep_spacing="leading"), 6),
    ("DPMSolverMultistepScheduler", dict(SD15, use_karras_sigmas=True, prediction_type="v_prediction"), 8),
    ("DPMSolverMultistepScheduler", dict(SD15, timestep_spacing="trailing"), 1),
    ("LCMScheduler", dict(SD15, set_alpha_to_one=True, steps_offset=0), 4),
    ("LCMScheduler", dict(SD15, set_alpha_to_one=True, steps_offset=0), 1),
    ("LCMScheduler", dict(SD15, set_alpha_to_one=True, steps_offset=0, original_inference_steps=30), 3),
]


def r(v):
    return float("%.9g" % v)


def main():
    alphas = {}
    for name, c in [("scaled_linear", SD15), ("linear", {}), ("squaredcos_cap_v2", dict(beta_schedule="squaredcos_cap_v2"))]:
        ab = alpha_bars(c)
        alphas[name] = {"config": c, "at": {str(i): r(ab[i]) for i in (0, 1, 10, 100, 500, 999)}}
    cases = []
    for cls, c, steps in CASES:
        res = RUNNERS[cls](c, steps)
        case = {"scheduler": cls, "config": c, "steps": steps,
                "timesteps": [r(t) for t in res["timesteps"]],
                "init_noise_sigma": r(res["init_noise_sigma"]),
                "samples": [[r(v) for v in x] for x in res["samples"]]}
        if "sigmas" in res:
            case["sigmas"] = [r(s) for s in res["sigmas"]]
        cases.append(case)
    pndm50 = run_pndm(SD15, 50)["timesteps"]
    print(json.dumps({"alphas_cumprod": alphas, "pndm_sd15_50_steps_timesteps": pndm50, "cases": cases}))


if __name__ == "__main__":
    main()
