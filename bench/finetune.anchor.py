"""Anchor for bench/finetune.bench.ts: LoRA training steps of a Llama/Qwen2 decoder in PyTorch (CPU, float32).

Usage: python3 bench/finetune.anchor.py CONFIG_JSON
CONFIG_JSON: {"config": DecoderConfig (mmkit's field names), "lora": {rank, alpha, targets}, "batch": B,
"sequence": S, "threads": T}. The same architecture as tools/reference/finetune_block.py (embedding, RMSNorm,
rotary, grouped-query attention with causal mask, SiLU-gated MLP, LM head, cross-entropy), frozen random
weights, LoRA A/B trainable, AdamW on the LoRA tensors only (PEFT's setup). Prints "ready", then for each
line "STEPS" on stdin runs that many training steps (forward + backward + AdamW) and prints the seconds they
took, so the bench can interleave them with its own steps.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class LoraLinear(torch.nn.Module):
    def __init__(self, in_features, out_features, bias, lora):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(out_features, in_features) / math.sqrt(in_features),
                                         requires_grad=False)
        self.bias = torch.nn.Parameter(torch.randn(out_features) * 0.1, requires_grad=False) if bias else None
        self.lora = lora
        if lora:
            self.lora_A = torch.nn.Parameter(torch.randn(lora["rank"], in_features) / math.sqrt(in_features))
            self.lora_B = torch.nn.Parameter(torch.zeros(out_features, lora["rank"]))
            self.scale = lora["alpha"] / lora["rank"]

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.lora:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scale
        return y


class Decoder(torch.nn.Module):
    def __init__(self, c, lora):
        super().__init__()
        self.c = c
        hidden, heads, kv, head_dim = c["hiddenSize"], c["numAttentionHeads"], c["numKeyValueHeads"], c["headDim"]

        def linear(name, inputs, outputs, bias=False):
            return LoraLinear(inputs, outputs, bias, lora if name in lora["targets"] else None)

        self.embed = torch.nn.Parameter(torch.randn(c["vocabularySize"], hidden), requires_grad=False)
        self.layers = torch.nn.ModuleList()
        for _ in range(c["numHiddenLayers"]):
            layer = torch.nn.Module()
            bias = c["attentionBias"]
            layer.q = linear("q_proj", hidden, heads * head_dim, bias)
            layer.k = linear("k_proj", hidden, kv * head_dim, bias)
            layer.v = linear("v_proj", hidden, kv * head_dim, bias)
            layer.o = linear("o_proj", heads * head_dim, hidden)
            layer.gate = linear("gate_proj", hidden, c["intermediateSize"])
            layer.up = linear("up_proj", hidden, c["intermediateSize"])
            layer.down = linear("down_proj", c["intermediateSize"], hidden)
            layer.norm1 = torch.nn.Parameter(torch.ones(hidden), requires_grad=False)
            layer.norm2 = torch.nn.Parameter(torch.ones(hidden), requires_grad=False)
            self.layers.append(layer)
        self.norm = torch.nn.Parameter(torch.ones(hidden), requires_grad=False)
        self.lm_head = torch.nn.Parameter(torch.randn(c["vocabularySize"], hidden) / math.sqrt(hidden),
                                          requires_grad=False)

    def rms(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["rmsNormEps"]) * weight

    def forward(self, ids, labels):
        c = self.c
        batch, sequence = ids.shape
        heads, kv, head_dim = c["numAttentionHeads"], c["numKeyValueHeads"], c["headDim"]
        exponents = torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim
        angles = torch.arange(sequence, dtype=torch.float32)[:, None] / (c["ropeTheta"] ** exponents)
        doubled = torch.cat([angles, angles], -1)
        cos, sin = doubled.cos(), doubled.sin()
        allowed = torch.ones(sequence, sequence, dtype=torch.bool).tril()

        def rope(x):
            half = head_dim // 2
            return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

        x = F.embedding(ids, self.embed)
        for layer in self.layers:
            h = self.rms(x, layer.norm1)
            q = rope(layer.q(h).view(batch, sequence, heads, head_dim).transpose(1, 2))
            k = rope(layer.k(h).view(batch, sequence, kv, head_dim).transpose(1, 2))
            v = layer.v(h).view(batch, sequence, kv, head_dim).transpose(1, 2)
            k = k.repeat_interleave(heads // kv, dim=1)
            v = v.repeat_interleave(heads // kv, dim=1)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
            scores = scores.masked_fill(~allowed, -1e9)
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, sequence, heads * head_dim)
            x = x + layer.o(context)
            h = self.rms(x, layer.norm2)
            x = x + layer.down(F.silu(layer.gate(h)) * layer.up(h))
        logits = F.linear(self.rms(x, self.norm), self.lm_head)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def main():
    setup = json.loads(sys.argv[1])
    torch.set_num_threads(setup["threads"])
    torch.manual_seed(0)
    model = Decoder(setup["config"], setup["lora"])
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.0)
    ids = torch.randint(0, setup["config"]["vocabularySize"], (setup["batch"], setup["sequence"]))
    labels = ids.roll(-1, 1)
    labels[:, -1] = -100

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(ids, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()

    print("ready", flush=True)
    for line in sys.stdin:
        steps = int(line)
        started = time.perf_counter()
        for _ in range(steps):
            step()
        print(time.perf_counter() - started, flush=True)


if __name__ == "__main__":
    main()
