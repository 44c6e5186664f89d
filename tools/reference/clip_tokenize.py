#!/usr/bin/env python3
"""Independent reference for CLIP tokenization: writes src/preprocess/text/clip-tokenize.golden.json.

An implementation of the algorithm of OpenAI's CLIP `simple_tokenizer` (byte-level BPE with a `</w>`
end-of-word marker), written from its description, to pin the ids our Transformers.js-based tokenizer
must produce.

Run from the repository root (needs Debian's python3-regex, nothing else):

    python3 tools/reference/clip_tokenize.py [path/to/bpe_simple_vocab_16e6.txt.gz]

The default vocabulary is OpenAI's original file in ../shared/data/clip/ (falls back to the committed
testkit/data/clip-merges.txt.gz, which holds exactly the merges CLIP uses).

Deliberate differences from OpenAI's code, all matching Hugging Face's `tokenizer.json` for CLIP:
- ftfy is not installed here: its `fix_text` is replaced by NFC normalisation (ftfy's default final
  step). The strings below contain no mojibake, so ftfy would leave them unchanged apart from NFC.
- no `html.unescape` (Hugging Face's fast tokenizer does not unescape either); no strings with
  HTML entities are pinned.
- padding uses the pad token of openai/clip-vit-base-patch32 (`<|endoftext|>`, 49407) with attention
  mask 0, where OpenAI's `clip.tokenize` pads with 0.
"""
import gzip
import json
import os
import sys
import unicodedata

import regex

CONTEXT_LENGTH = 77
MERGE_COUNT = 49152 - 256 - 2  # CLIP's vocabulary is 49408 entries: 512 byte tokens, merges, 2 specials

# The strings whose ids we pin: English, Chinese, mixed, punctuation, digits, emoji, accents, long text,
# empty and whitespace-only input.
TEXTS = [
    "a photo of a cat",
    "A Photo Of A CAT!",
    "一只在草地上奔跑的小狗",
    "一只猫坐在窗台上，看着外面的雨。",
    "a red 苹果 on the table, 很好吃",
    "Hello, world!!! What's up? I'm fine; you'll see... (really) [ok] {yes}",
    "In 2024, 3.14159 × 42 = 131.95 and 1,000,000 people",
    "I ❤️ my 🐶 and 🍕!! 👍🏽",
    "Café naïve résumé Ångström über façade",
    "Cafe\u0301 composed by NFC",
    "   extra   spaces\tand\ttabs\nand newlines\u3000ideographic  ",
    "",
    "    ",
    "don't stop, they're here, we've got it, she'd go, it's mine",
    "the quick brown fox jumps over the lazy dog " * 12,
    "长" * 100,
    "email me at someone@example.com or visit https://example.com/path?q=1&r=2",
    "a <|endoftext|> inside text",
    "Ελληνικά και русский текст",
    "mixed-case CamelCaseWords and snake_case_words",
]


def byte_to_unicode_table():
    """Printable bytes map to themselves; the rest to code points from 256 upward, in byte order."""
    printable = set(range(ord("!"), ord("~") + 1)) | set(range(ord("¡"), ord("¬") + 1)) | set(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for byte in sorted(printable):
        table[byte] = chr(byte)
    for byte in range(256):
        if byte not in printable:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def read_merges(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    # OpenAI's file starts with a version line; the committed copy holds only the merges.
    if lines[0].endswith("#version: 0.2"):
        lines = lines[1:]
    return [tuple(line.split()) for line in lines[:MERGE_COUNT]]


def build_vocabulary(merges, table):
    # The byte symbols in the order of the table's construction (printable first), as OpenAI lists them.
    printable_first = sorted(table, key=lambda byte: ord(table[byte]))
    symbols = [table[byte] for byte in printable_first]
    entries = symbols + [symbol + "</w>" for symbol in symbols]
    entries += ["".join(pair) for pair in merges]
    entries += ["<|startoftext|>", "<|endoftext|>"]
    return {entry: index for index, entry in enumerate(entries)}


class ReferenceClipTokenizer:
    def __init__(self, merges_path):
        self.table = byte_to_unicode_table()
        merges = read_merges(merges_path)
        self.rank = {pair: index for index, pair in enumerate(merges)}
        self.vocabulary = build_vocabulary(merges, self.table)
        self.pattern = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )

    def merge_word(self, symbols):
        """Repeatedly join the adjacent pair with the lowest merge rank, every occurrence left to right."""
        if symbols in (["<|startoftext|>"], ["<|endoftext|>"]):
            return symbols
        while len(symbols) > 1:
            candidates = [(self.rank.get((symbols[i], symbols[i + 1])), i) for i in range(len(symbols) - 1)]
            ranked = [rank for rank, _ in candidates if rank is not None]
            if not ranked:
                break
            best = min(ranked)
            first, second = next((symbols[i], symbols[i + 1]) for rank, i in candidates if rank == best)
            joined = []
            position = 0
            while position < len(symbols):
                if position + 1 < len(symbols) and symbols[position] == first and symbols[position + 1] == second:
                    joined.append(first + second)
                    position += 2
                else:
                    joined.append(symbols[position])
                    position += 1
            symbols = joined
        return symbols

    def encode(self, text):
        text = unicodedata.normalize("NFC", text).strip()
        text = regex.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for piece in self.pattern.findall(text):
            if piece in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(self.vocabulary[piece])
                continue
            mapped = [self.table[byte] for byte in piece.encode("utf-8")]
            mapped[-1] += "</w>"
            ids.extend(self.vocabulary[symbol] for symbol in self.merge_word(mapped))
        return ids

    def tokenize(self, text, context_length=CONTEXT_LENGTH):
        start = self.vocabulary["<|startoftext|>"]
        end = self.vocabulary["<|endoftext|>"]
        ids = [start] + self.encode(text) + [end]
        if len(ids) > context_length:
            ids = ids[: context_length - 1] + [end]
        mask = [1] * len(ids) + [0] * (context_length - len(ids))
        ids = ids + [end] * (context_length - len(ids))
        return ids, mask


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    original = os.path.join(root, "..", "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
    fallback = os.path.join(root, "testkit", "data", "clip-merges.txt.gz")
    path = sys.argv[1] if len(sys.argv) > 1 else (original if os.path.exists(original) else fallback)
    tokenizer = ReferenceClipTokenizer(path)
    cases = []
    for text in TEXTS:
        ids, mask = tokenizer.tokenize(text)
        cases.append({"text": text, "input_ids": ids, "attention_mask": mask})
    output = os.path.join(root, "src", "preprocess", "text", "clip-tokenize.golden.json")
    # One case per line keeps the file small and its diffs readable.
    lines = [json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in cases]
    with open(output, "w", encoding="utf-8") as handle:
        handle.write('{"source":"tools/reference/clip_tokenize.py","context_length":77,"pad_id":49407,"cases":[\n')
        handle.write(",\n".join(lines))
        handle.write("\n]}\n")
    print(f"wrote {len(cases)} cases to {output}")


if __name__ == "__main__":
    main()
