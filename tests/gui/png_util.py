"""PNG facts the GUI tests need, with the standard library only."""
import struct


def png_size(path):
    """(width, height) from the IHDR chunk, which a valid PNG has right after its signature."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG")
    return struct.unpack(">II", head[16:24])
