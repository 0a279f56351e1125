#!/usr/bin/python3
"""Pillow's own resize, and ViTImageProcessor's rescale/normalise done with numpy, as the reference
for core/image/resample.cpp and core/image/vit_preprocess.cpp (tests/unit/test_resample.cpp and
test_vit_preprocess.cpp run this script into a temporary folder).

    /usr/bin/python3 tests/image/pillow_reference.py OUT_DIR SOURCE_DIR

Writes into OUT_DIR:
  - PNG pictures of odd sizes (random pixels from a fixed seed; grey, grey+alpha, RGBA, palette);
  - cases.json: one entry per (picture, size, filter) with the Pillow result resized_<n>.u8,
    its raw uint8 [h, w, 3] bytes;
  - vit_<n>/preprocessor_config.json and vit_<n>/pixel_values.npy, float32 [3, H, W], computed
    as transformers' ViTImageProcessor does (image_transforms.resize / rescale / normalize), but
    written here from those functions' definitions since Debian has no transformers package.
Exits 77 when Pillow or numpy is missing (the tests then skip).
"""
import json
import os
import sys

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # python3-pil / python3-numpy not installed
    print(f"pillow_reference: {e}", file=sys.stderr)
    sys.exit(77)

# PIL's numbers, as preprocessor_config.json's "resample" gives them.
FILTERS = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def make_pictures(out, rng):
    """Random pictures of awkward sizes, each saved as PNG; returns {file name: (w, h)}."""
    pictures = {}

    def save(name, array, mode=None):
        im = Image.fromarray(array, mode) if mode else Image.fromarray(array)
        im.save(os.path.join(out, name))
        pictures[name] = Image.open(os.path.join(out, name)).size

    for w, h in [(37, 23), (1, 1), (1, 17), (17, 1), (2, 3), (5, 300), (300, 5), (64, 64), (101, 67)]:
        save(f"rgb_{w}x{h}.png", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    # Smooth content as well: random noise hides errors that only show on gradients and edges.
    yy, xx = np.mgrid[0:45, 0:61]
    smooth = np.stack([xx * 4, yy * 5, (xx + yy) * 2], axis=-1).clip(0, 255).astype(np.uint8)
    smooth[10:20, 30:40] = [255, 0, 128]
    save("smooth_61x45.png", smooth)
    save("grey_29x13.png", rng.integers(0, 256, (13, 29), dtype=np.uint8), "L")
    save("grey_alpha_9x11.png", rng.integers(0, 256, (11, 9, 2), dtype=np.uint8), "LA")
    save("rgba_19x7.png", rng.integers(0, 256, (7, 19, 4), dtype=np.uint8), "RGBA")
    palette = Image.fromarray(rng.integers(0, 256, (15, 21, 3), dtype=np.uint8)).quantize(colors=16)
    palette.save(os.path.join(out, "palette_21x15.png"))
    pictures["palette_21x15.png"] = palette.size
    return pictures


def rgb(path):
    # ViTImageProcessor with do_convert_rgb, and what a PIL image of an RGB file already is.
    return Image.open(path).convert("RGB")


def vit_pixel_values(image, config):
    """ViTImageProcessor.preprocess for one PIL RGB image, step by step."""
    x = np.array(image)  # uint8 [h, w, 3]
    if config.get("do_resize", True):
        size = config.get("size", {"height": 224, "width": 224})
        if isinstance(size, int):
            size = {"height": size, "width": size}
        elif isinstance(size, list):
            size = {"height": size[0], "width": size[1]}
        resample = config.get("resample", 2)
        x = np.array(Image.fromarray(x).resize((size["width"], size["height"]), resample=resample))
    if config.get("do_rescale", True):
        # image_transforms.rescale: upcast to float64, multiply, downcast to float32.
        x = (x.astype(np.float64) * config.get("rescale_factor", 1 / 255)).astype(np.float32)
    if config.get("do_normalize", True):
        # image_transforms.normalize: float32 image, mean and std as float32 arrays.
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
        mean = config.get("image_mean", [0.5, 0.5, 0.5])
        std = config.get("image_std", [0.5, 0.5, 0.5])
        mean = np.array(mean if isinstance(mean, list) else [mean] * 3, dtype=x.dtype)
        std = np.array(std if isinstance(std, list) else [std] * 3, dtype=x.dtype)
        x = (x - mean) / std
    return np.ascontiguousarray(x.astype(np.float32).transpose(2, 0, 1))  # [3, H, W]


def main():
    out, source = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240610)
    pictures = make_pictures(out, rng)

    resize_cases = []

    def case(path, w, h, f):
        n = len(resize_cases)
        result = np.array(rgb(path).resize((w, h), resample=f), dtype=np.uint8)
        assert result.shape == (h, w, 3)
        result.tofile(os.path.join(out, f"resized_{n}.u8"))
        resize_cases.append({"picture": path, "width": w, "height": h, "filter": f, "expected": f"resized_{n}.u8"})

    targets = [(224, 224), (13, 9), (1, 1), (1, 5), (7, 1), (40, 3), (3, 40), (100, 100)]
    for name, (w, h) in sorted(pictures.items()):
        path = os.path.join(out, name)
        for f in FILTERS:
            for tw, th in targets + [(w, h), (w * 3, h), (w, h * 2 + 1), (max(1, w // 2), h * 3)]:
                case(path, tw, th, f)
    # The bundled photographs, shrunk to the ViT sizes (DINO's bicubic, google/vit's bilinear) and
    # every other filter, and a few ratios that are not whole numbers.
    for name in ["astronaut.png", "chelsea.png", "coffee.png"]:
        path = os.path.join(source, "assets", "images", name)
        for f in FILTERS:
            for tw, th in [(224, 224), (384, 384), (97, 131), (530, 520)]:
                case(path, tw, th, f)

    configs = [
        {},  # every default: 224 x 224 bilinear, 1/255, mean = std = 0.5
        {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
         "image_processor_type": "ViTImageProcessor", "image_std": [0.5, 0.5, 0.5], "resample": 2,
         "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}},  # google/vit-base
        {"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
         "feature_extractor_type": "ViTFeatureExtractor", "image_mean": [0.485, 0.456, 0.406],
         "image_std": [0.229, 0.224, 0.225], "resample": 3, "size": 224},  # DINO's ViTFeatureExtractor style
        {"size": [31, 45], "resample": 1, "image_mean": 0.25, "image_std": 0.75},
        {"size": {"height": 17, "width": 300}, "resample": 0, "do_normalize": False},
        {"do_resize": False, "do_rescale": False, "image_mean": [10.0, 100.0, 200.0], "image_std": [3.0, 7.0, 0.5]},
        {"size": 64, "resample": 5, "rescale_factor": 0.003},
        {"size": 50, "resample": 4, "do_rescale": False, "do_normalize": False},
    ]
    vit_cases = []
    vit_pictures = [os.path.join(out, "smooth_61x45.png"), os.path.join(out, "rgb_37x23.png"),
                    os.path.join(out, "rgba_19x7.png"), os.path.join(source, "assets", "images", "chelsea.png")]
    for i, config in enumerate(configs):
        for j, path in enumerate(vit_pictures):
            folder = os.path.join(out, f"vit_{i}_{j}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
                json.dump(config, f, indent=2)
            np.save(os.path.join(folder, "pixel_values.npy"), vit_pixel_values(rgb(path), config))
            vit_cases.append({"picture": path, "folder": folder})

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"resize": resize_cases, "vit": vit_cases}, f, indent=1)
    print(f"pillow_reference: {len(resize_cases)} resize cases, {len(vit_cases)} ViT cases, Pillow "
          f"{Image.__version__}")


if __name__ == "__main__":
    main()
