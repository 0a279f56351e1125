"""Hugging Face model folders with random weights for the app's tests, made with
tests/torch/make_hf_folders.py (Debian's python3-torch):

    make_model_folders.py DIR [--bert-base]

    DIR/small_bert   BERT, 2 layers x 4 heads, hidden 64 (make_hf_folders' BertSpec defaults)
    DIR/small_vit    ViT, 2 layers x 4 heads, 32 x 32 pictures in 8 px patches (VitSpec defaults)
    DIR/bert_base    with --bert-base: bert-base's shapes (12 layers x 12 heads, hidden 768,
                     FFN 3072, 512 positions), for the frame-time measurement

A folder already there (its model.safetensors written) is kept. Exits 77 when torch is missing.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "torch"))


def make(folder_root, bert_base=False):
    import make_hf_folders as mk

    made = {}
    specs = [("small_bert", "bert", mk.BertSpec()), ("small_vit", "vit", mk.VitSpec())]
    if bert_base:
        specs.append(("bert_base", "bert", mk.BertSpec(hidden=768, heads=12, layers=12, intermediate=3072,
                                                       max_positions=512, heads_tensors=False, position_ids=False)))
    for name, kind, spec in specs:
        folder = os.path.join(folder_root, name)
        if not os.path.exists(os.path.join(folder, "model.safetensors")):
            (mk.make_bert_folder if kind == "bert" else mk.make_vit_folder)(folder, spec)
        made[name] = folder
    return made


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIP: python3-torch is not installed")
        return 77
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    for name, folder in make(os.path.abspath(sys.argv[1]), "--bert-base" in sys.argv[2:]).items():
        print(name, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
