#!/usr/bin/python3
"""Reference loss and LoRA gradients for mmkit's fine-tuning graphs, computed by PyTorch autograd.

Builds a Llama- or Qwen2-style decoder (embedding, RMSNorm, rotary embeddings, grouped-query
attention with causal + padding mask, SiLU-gated MLP, final norm, LM head) with LoRA on the
targeted projections, from a case file (config, seed, token batch), in float64. Weights are not
read from anywhere: they are regenerated from the seed with the same counter-based generator as
src/finetune/random.ts and the same initialisation rules as src/finetune/model/weight-source.ts,
bit for bit. The model is written here from the architecture's definition, independently of
mmkit's ONNX graph builder.

Run from the repository root with Debian's python (needs python3-torch, python3-numpy):

    /usr/bin/python3 tools/reference/finetune_block.py src/finetune/model/testdata/llama-tiny.case.json
    /usr/bin/python3 tools/reference/finetune_block.py src/finetune/model/testdata/qwen2-tiny.case.json

Optional case fields: "loraDropout": {"probability", "seed"} applies PEFT's dropout to each LoRA
branch's input with masks drawn as src/finetune/train/dropout-mask.ts draws them (stream = the
module name), and "inputsEmbeds": {"imageTokenId", "seed"} feeds embeddings instead of ids, with
seeded "image features" (stream "image features <row>", uniform ±1) written over the image-token
rows as src/finetune/train/inputs-embeds.ts does.

Each writes <name>.golden.json beside the case: the float64 loss and the gradient of every LoRA
tensor (PEFT names, PEFT layout), plus, for context, how far PyTorch's own float32 run is from it.
"""

import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

MASK32 = 0xFFFFFFFF


def hash_text(text):
    """FNV-1a over UTF-8 bytes."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x01000193) & MASK32
    return value


def mix32(values):
    """MurmurHash3's finalizer on uint64 arrays holding 32-bit values."""
    values = values ^ (values >> np.uint64(16))
    values = (values * np.uint64(0x85EBCA6B)) & np.uint64(MASK32)
    values = values ^ (values >> np.uint64(13))
    values = (values * np.uint64(0xC2B2AE35)) & np.uint64(MASK32)
    return values ^ (values >> np.uint64(16))


def uniform_values(seed, stream, count):
    """Value i of a stream: uniform in [-1, 1), as in random.ts."""
    base = mix32(np.array([(seed ^ hash_text(stream)) & MASK32], dtype=np.uint64))[0]
    steps = (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B9)) & np.uint64(MASK32)
    hashes = mix32((base + steps) & np.uint64(MASK32))
    return hashes.astype(np.float64) / 4294967296.0 * 2 - 1


def random_weight(seed, name, dims):
    """The seeded initialisation of weight-source.ts, rounded to float32, returned as float64."""
    unit = uniform_values(seed, name, int(np.prod(dims)))
    if name.endswith("norm.weight"):
        values = 1 + 0.2 * unit
    elif name.endswith("embed_tokens.weight"):
        values = unit
    elif name.endswith(".bias"):
        values = 0.1 * unit
    elif name.endswith("lora_B.weight"):
        values = 0.2 * unit
    else:
        values = unit * (1 / math.sqrt(dims[-1]))
    return torch.from_numpy(values.astype(np.float32).astype(np.float64).reshape(dims))


def dropout_mask(seed, stream, count, probability):
    """Keep where the stream's value mapped to [0, 1) is >= p; kept values scaled by 1/(1-p)."""
    unit = uniform_values(seed, stream, count)
    kept = 1 / (1 - probability)
    return np.where((unit + 1) / 2 >= probability, kept, 0.0)


class Decoder:
    def __init__(self, case, dtype):
        self.config = case["config"]
        self.lora = case["lora"]
        self.dtype = dtype
        self.seed = case["seed"]
        self.case = case
        self.trainable = {}

    def weight(self, name, dims):
        return random_weight(self.seed, name, dims).to(self.dtype)

    def linear(self, x, module, out_features, in_features, bias):
        y = F.linear(x, self.weight(module + ".weight", [out_features, in_features]),
                     self.weight(module + ".bias", [out_features]) if bias else None)
        target = module.rsplit(".", 1)[1]
        if target not in self.lora["targets"]:
            return y
        rank = self.lora["rank"]
        names = [f"base_model.model.{module}.lora_A.weight", f"base_model.model.{module}.lora_B.weight"]
        down = self.weight(names[0], [rank, in_features]).requires_grad_(True)
        up = self.weight(names[1], [out_features, rank]).requires_grad_(True)
        self.trainable[names[0]] = down
        self.trainable[names[1]] = up
        branch = x
        dropout = self.case.get("loraDropout")
        if dropout:
            mask = dropout_mask(dropout["seed"], module + ".lora_dropout_mask", x.numel(), dropout["probability"])
            branch = x * torch.from_numpy(mask.astype(np.float32).astype(np.float64)).reshape(x.shape).to(self.dtype)
        return y + (branch @ down.T @ up.T) * (self.lora["alpha"] / rank)

    def rms_norm(self, x, name):
        variance = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(variance + self.config["rmsNormEps"]) * self.weight(name + ".weight", [x.shape[-1]])

    def rotary(self, position_ids):
        head_dim = self.config["headDim"]
        exponents = torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim
        inverse_frequencies = 1.0 / (self.config["ropeTheta"] ** exponents)
        angles = position_ids.to(torch.float64)[..., None] * inverse_frequencies
        doubled = torch.cat([angles, angles], dim=-1)
        return doubled.cos().to(self.dtype)[:, None], doubled.sin().to(self.dtype)[:, None]

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat([-x[..., half:], x[..., :half]], dim=-1)

    def attention(self, x, layer, cos, sin, allowed):
        c = self.config
        heads, kv_heads, head_dim = c["numAttentionHeads"], c["numKeyValueHeads"], c["headDim"]
        batch, sequence, hidden = x.shape
        prefix = f"model.layers.{layer}.self_attn."
        bias = c["attentionBias"]
        q = self.linear(x, prefix + "q_proj", heads * head_dim, hidden, bias)
        k = self.linear(x, prefix + "k_proj", kv_heads * head_dim, hidden, bias)
        v = self.linear(x, prefix + "v_proj", kv_heads * head_dim, hidden, bias)
        q = q.view(batch, sequence, heads, head_dim).transpose(1, 2)
        k = k.view(batch, sequence, kv_heads, head_dim).transpose(1, 2)
        v = v.view(batch, sequence, kv_heads, head_dim).transpose(1, 2)
        q = q * cos + self.rotate_half(q) * sin
        k = k * cos + self.rotate_half(k) * sin
        groups = heads // kv_heads
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
        scores = torch.where(allowed, scores, torch.tensor(-1e9, dtype=self.dtype))
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, sequence, heads * head_dim)
        return self.linear(context, prefix + "o_proj", hidden, heads * head_dim, False)

    def mlp(self, x, layer):
        c = self.config
        prefix = f"model.layers.{layer}.mlp."
        hidden, inner = c["hiddenSize"], c["intermediateSize"]
        gate = self.linear(x, prefix + "gate_proj", inner, hidden, False)
        up = self.linear(x, prefix + "up_proj", inner, hidden, False)
        return self.linear(F.silu(gate) * up, prefix + "down_proj", hidden, inner, False)

    def loss(self, case):
        c = self.config
        input_ids = torch.tensor(case["inputIds"])
        attention_mask = torch.tensor(case["attentionMask"]).bool()
        labels = torch.tensor(case["labels"])
        sequence = input_ids.shape[1]
        causal = torch.ones(sequence, sequence).tril().bool()
        allowed = (causal[None] & attention_mask[:, None, :])[:, None]
        cos, sin = self.rotary(torch.tensor(case["positionIds"]))
        hidden = F.embedding(input_ids, self.weight("model.embed_tokens.weight", [c["vocabularySize"], c["hiddenSize"]]))
        embeds = case.get("inputsEmbeds")
        if embeds:
            # Image features over the image-token rows, in order (Transformers.js's merge).
            hidden = hidden.clone()
            for row in range(input_ids.shape[0]):
                positions = (input_ids[row] == embeds["imageTokenId"]).nonzero().flatten().tolist()
                count = len(positions) * c["hiddenSize"]
                features = uniform_values(embeds["seed"], "image features %d" % row, count)
                features = torch.from_numpy(features.astype(np.float32).astype(np.float64)).reshape(len(positions), -1)
                for index, position in enumerate(positions):
                    hidden[row, position] = features[index].to(self.dtype)
        for layer in range(c["numHiddenLayers"]):
            prefix = f"model.layers.{layer}."
            hidden = hidden + self.attention(self.rms_norm(hidden, prefix + "input_layernorm"), layer, cos, sin, allowed)
            hidden = hidden + self.mlp(self.rms_norm(hidden, prefix + "post_attention_layernorm"), layer)
        logits = F.linear(self.rms_norm(hidden, "model.norm"),
                          self.weight("lm_head.weight", [c["vocabularySize"], c["hiddenSize"]]))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def run(case, dtype):
    model = Decoder(case, dtype)
    loss = model.loss(case)
    names = list(model.trainable)
    gradients = torch.autograd.grad(loss, [model.trainable[name] for name in names])
    return loss.item(), {name: gradient for name, gradient in zip(names, gradients)}


def relative_error(actual, expected):
    return float((actual.double() - expected).abs().max() / expected.abs().max())


def main(case_path):
    with open(case_path) as file:
        case = json.load(file)
    loss, gradients = run(case, torch.float64)
    loss32, gradients32 = run(case, torch.float32)
    float32_error = max([abs(loss32 - loss) / abs(loss)] +
                        [relative_error(gradients32[name], gradients[name]) for name in gradients])
    golden = {
        "generatedBy": "tools/reference/finetune_block.py (PyTorch %s, float64 autograd)" % torch.__version__,
        "loss": loss,
        "torchFloat32MaxRelativeError": float32_error,
        "gradients": {name: {"dims": list(value.shape), "values": [float("%.12e" % x) for x in value.flatten().tolist()]}
                      for name, value in gradients.items()},
    }
    out_path = case_path.replace(".case.json", ".golden.json")
    with open(out_path, "w") as file:
        json.dump(golden, file, separators=(",", ":"))
        file.write("\n")
    print(f"{out_path}: loss {loss:.10f}, {len(gradients)} LoRA tensors, torch float32 max relative error {float32_error:.2e}")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        main(path)
