#!/usr/bin/env python3
"""Make the image preprocessing fixtures and their PIL + torchvision goldens.

Run from the repository root with Debian's Python (python3-pil, python3-torchvision, python3-skimage):

    /usr/bin/python3 tools/reference/image_reference.py

Writes src/preprocess/image/fixtures/: small inputs made from scikit-image's sample photos (licences in
that folder's README.md), and for each input the uint8 224x224 RGB crop that torchvision hands to
ToTensor (`*.golden.png`), exactly as CLIP's training pipeline makes it:
Image.open -> ImageOps.exif_transpose -> convert("RGB") -> Resize(224, BICUBIC) -> CenterCrop(224).
Also: a SigLIP-style golden (bilinear straight to 224x224), goldens for the other PIL filters at a
small size, and one normalised float reference (ToTensor + Normalize) to check the constants.
`manifest.json` lists every case for the tests.
"""
import io
import json
import os
import struct
import zlib

import numpy as np
import torch
from PIL import Image, ImageOps
from torchvision import transforms

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "preprocess", "image", "fixtures")
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


def source(name):
    return Image.open(os.path.join(SKIMAGE, name))


def write_png16(path, array):
    """PIL cannot write 16-bit RGB PNGs; this writes one (big-endian samples, no filtering)."""
    height, width, channels = array.shape
    color_type = {1: 0, 3: 2}[channels]
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def with_sixteen_bits(rgb8, seed):
    """16-bit samples whose high byte is the 8-bit photo and whose low byte is noise."""
    noise = np.random.default_rng(seed).integers(0, 256, rgb8.shape, dtype=np.uint16)
    return rgb8.astype(np.uint16) * 256 + noise


def make_inputs():
    inputs = {}
    # A real camera JPEG, untouched (landscape, 640x427).
    with open(os.path.join(SKIMAGE, "rocket.jpg"), "rb") as f:
        inputs["rocket.jpg"] = f.read()

    # JPEG whose stored pixels are landscape 451x300 but EXIF orientation 6 shows it portrait 300x451.
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    source("chelsea.png").save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    inputs["chelsea-exif6.jpg"] = buffer.getvalue()

    # RGBA PNG with an alpha gradient and fully transparent corner: alpha must be dropped, not composited.
    coffee = source("coffee.png").convert("RGB").resize((301, 201), Image.LANCZOS)
    alpha = np.tile(np.linspace(0, 255, 301, dtype=np.float64), (201, 1)).astype(np.uint8)
    alpha[:60, :80] = 0
    rgba = np.dstack([np.asarray(coffee), alpha])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG", optimize=True)
    inputs["coffee-alpha.png"] = buffer.getvalue()

    # Palette PNG (portrait 255x341) with one index marked transparent: convert keeps its colour.
    astronaut = source("astronaut.png").convert("RGB").crop((60, 0, 443, 512)).resize((255, 341), Image.LANCZOS)
    palette = astronaut.quantize(256)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=3, optimize=True)
    inputs["astronaut-palette.png"] = buffer.getvalue()

    # Grayscale PNG, landscape with odd sizes so the crop offset rounds (383x255).
    buffer = io.BytesIO()
    source("camera.png").convert("L").crop((0, 80, 512, 421)).resize((383, 255), Image.LANCZOS).save(buffer, "PNG")
    inputs["camera-gray.png"] = buffer.getvalue()

    # Lossy WebP, square.
    buffer = io.BytesIO()
    source("retina.jpg").convert("RGB").resize((480, 480), Image.LANCZOS).save(buffer, "WEBP", quality=80)
    inputs["retina.webp"] = buffer.getvalue()

    # Two-frame GIF: only the first frame counts.
    first = source("coffee.png").convert("RGB").resize((333, 222), Image.LANCZOS)
    second = ImageOps.invert(first)
    buffer = io.BytesIO()
    first.quantize(256).save(buffer, "GIF", save_all=True, append_images=[second.quantize(256)], duration=100)
    inputs["coffee-two-frames.gif"] = buffer.getvalue()

    # Larger JPEG, downscaled by ~2.7 (antialiasing matters).
    buffer = io.BytesIO()
    source("hubble_deep_field.jpg").convert("RGB").resize((700, 610), Image.LANCZOS).save(buffer, "JPEG", quality=85)
    inputs["hubble.jpg"] = buffer.getvalue()

    # Small portrait JPEG, upscaled (131 -> 224 on the short side).
    buffer = io.BytesIO()
    source("chelsea.png").convert("RGB").crop((100, 20, 231, 300)).resize((131, 197), Image.LANCZOS).save(
        buffer, "JPEG", quality=92
    )
    inputs["chelsea-small.jpg"] = buffer.getvalue()

    # CMYK JPEG (print workflows): PIL converts the stored inks with its own formula, no colour profile.
    buffer = io.BytesIO()
    source("chelsea.png").convert("RGB").resize((211, 140), Image.LANCZOS).convert("CMYK").save(buffer, "JPEG", quality=90)
    inputs["chelsea-cmyk.jpg"] = buffer.getvalue()

    # 16-bit RGB PNG (upscaled too). PIL reads it as 8-bit RGB from the high bytes.
    chelsea16 = with_sixteen_bits(np.asarray(source("chelsea.png").convert("RGB").resize((181, 121), Image.LANCZOS)), 1)
    write_png16(os.path.join(OUT, "chelsea-16bit.png"), chelsea16)
    return inputs, sorted([*inputs, "chelsea-16bit.png"])


def crop_reference(image, size=224, resample=Image.BICUBIC):
    """What torchvision hands ToTensor: Resize(size) on the short side, CenterCrop(size)."""
    pipeline = transforms.Compose(
        [transforms.Resize(size, interpolation=transforms.InterpolationMode(_mode_name(resample))), transforms.CenterCrop(size)]
    )
    return pipeline(image)


def _mode_name(resample):
    return {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}[resample]


def save_golden(image, name):
    """Plain RGB PNG: drop what PIL carries over from the input (ICC profile, transparency colour)."""
    image = image.copy()
    image.info = {}
    image.save(os.path.join(OUT, name))


def load_like_clip(path):
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def main():
    os.makedirs(OUT, exist_ok=True)
    inputs, names = make_inputs()
    for name, data in inputs.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    cases = []
    for name in names:
        image = load_like_clip(os.path.join(OUT, name))
        golden = f"{os.path.splitext(name)[0]}.golden.png"
        save_golden(crop_reference(image), golden)
        cases.append({"input": name, "golden": golden, "kind": "clip", "decoded": list(image.size)})

    # 16-bit grayscale: Pillow 9 clips values over 255 to white when converting "I" to RGB, a bug we do
    # not copy; the reference is the photo's high byte (what 16-bit RGB PNGs already get) through CLIP.
    camera8 = np.asarray(source("camera.png").convert("L").crop((100, 0, 400, 512)).resize((150, 256), Image.LANCZOS))
    write_png16(os.path.join(OUT, "camera-gray16.png"), with_sixteen_bits(camera8[:, :, None], 2))
    save_golden(crop_reference(Image.fromarray(camera8, "L").convert("RGB")), "camera-gray16.golden.png")
    cases.append({"input": "camera-gray16.png", "golden": "camera-gray16.golden.png", "kind": "clip", "decoded": [150, 256]})

    # SigLIP-style: bilinear straight to 224x224 (aspect not kept), no crop, mean/std 0.5.
    rocket = load_like_clip(os.path.join(OUT, "rocket.jpg"))
    save_golden(transforms.Resize((224, 224), interpolation=transforms.InterpolationMode.BILINEAR)(rocket), "rocket-siglip.golden.png")
    cases.append({"input": "rocket.jpg", "golden": "rocket-siglip.golden.png", "kind": "siglip"})

    # Every PIL filter, small output, on a downscale and an upscale.
    for input_name, size in [("hubble.jpg", 96), ("chelsea-small.jpg", 160)]:
        image = load_like_clip(os.path.join(OUT, input_name))
        for filter_name, resample in FILTERS.items():
            golden = f"{os.path.splitext(input_name)[0]}-{filter_name}-{size}.golden.png"
            save_golden(crop_reference(image, size, resample), golden)
            cases.append({"input": input_name, "golden": golden, "kind": "filter", "resample": resample, "size": size})

    # One normalised float reference (ToTensor + Normalize), small so it stays tiny.
    image = load_like_clip(os.path.join(OUT, "astronaut-palette.png"))
    tensor = transforms.Compose(
        [
            transforms.Resize(48, interpolation=transforms.InterpolationMode.BICUBIC),
            transforms.CenterCrop(48),
            transforms.ToTensor(),
            transforms.Normalize(CLIP_MEAN, CLIP_STD),
        ]
    )(image)
    np.save(os.path.join(OUT, "astronaut-palette-48.normalised.npy"), tensor.numpy().astype(np.float32))

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases; torch {torch.__version__}, PIL {Image.__version__}")


if __name__ == "__main__":
    main()
