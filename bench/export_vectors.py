"""Export chiVe word vectors from the ja-ginza 5.3.0 wheel into a small table the matcher loads.

    pip download --no-deps ja-ginza==5.3.0 -d /tmp/x
    python -m bench.export_vectors /tmp/x/ja_ginza-5.3.0-py3-none-any.whl

The wheel holds spaCy vectors (``vocab/vectors``: 20,000 rows × 300 float32; ``vocab/key2row``:
480,443 string hashes → row, msgpack; ``vocab/strings.json``). ja-ginza itself is not installed
(it pins an older SudachiPy). Kept: the keys that our analyzer produces as one content word
(Sudachi normalized form, kana folded to hiragana), the rows they use, projected on their 100
principal components (after centring) and stored as float16 — a table of a few MB:
``intents/data/vectors.npz`` (``words``: newline-joined, ``rows``: int32, ``vectors``: float16).
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np

from intents.analyzer import Analyzer, Vocabulary

PREFIX = "ja_ginza/ja_ginza-5.3.0/vocab/"
OUT = Path(__file__).resolve().parent.parent / "intents" / "data" / "vectors.npz"
DIMENSIONS = 100
_MASK = 0xFFFFFFFFFFFFFFFF


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, as spaCy hashes strings (seed 1)."""
    m, r = 0xC6A4A7935BD1E995, 47
    h = (seed ^ (len(data) * m)) & _MASK
    blocks = len(data) // 8
    for j in range(blocks):
        k = int.from_bytes(data[8 * j : 8 * j + 8], "little")
        k = (k * m) & _MASK
        k ^= k >> r
        k = (k * m) & _MASK
        h ^= k
        h = (h * m) & _MASK
    tail = data[8 * blocks :]
    if tail:
        for index in range(len(tail) - 1, -1, -1):
            h ^= tail[index] << (8 * index)
        h = (h * m) & _MASK
    h ^= h >> r
    h = (h * m) & _MASK
    h ^= h >> r
    return h


def _msgpack_uint_map(raw: bytes) -> dict[int, int]:
    """Decode a msgpack map of unsigned integers (all key2row holds)."""
    sizes = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}

    def uint(i: int) -> tuple[int, int]:
        tag = raw[i]
        if tag <= 0x7F:
            return tag, i + 1
        n = sizes[tag]
        return int.from_bytes(raw[i + 1 : i + 1 + n], "big"), i + 1 + n

    if raw[0] == 0xDF:
        count, i = struct.unpack(">I", raw[1:5])[0], 5
    elif raw[0] == 0xDE:
        count, i = struct.unpack(">H", raw[1:3])[0], 3
    else:
        count, i = raw[0] & 0x0F, 1
    result: dict[int, int] = {}
    for _ in range(count):
        key, i = uint(i)
        value, i = uint(i)
        result[key] = value
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("wheel", type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        vectors = np.load(io.BytesIO(wheel.read(PREFIX + "vectors")))
        key2row = _msgpack_uint_map(wheel.read(PREFIX + "key2row"))
        strings = json.loads(wheel.read(PREFIX + "strings.json"))
    analyzer = Analyzer(vocabulary=Vocabulary())
    table: dict[str, int] = {}
    for text in strings:
        row = key2row.get(murmurhash64a(text.encode("utf-8")))
        if row is None or not text.strip() or len(text) > 12:
            continue
        words = analyzer.analyze(text).words
        if len(words) == 1:
            table.setdefault(words[0], row)  # the analyzer's form of this key
    used = sorted(set(table.values()))
    remap = {row: i for i, row in enumerate(used)}
    kept = vectors[used].astype(np.float64)
    kept -= kept.mean(axis=0)
    _, _, components = np.linalg.svd(kept, full_matrices=False)
    projected = kept @ components[:DIMENSIONS].T
    words = sorted(table)
    np.savez_compressed(
        OUT,
        words=np.asarray("\n".join(words)),
        rows=np.asarray([remap[table[w]] for w in words], dtype=np.int32),
        vectors=projected.astype(np.float16),
    )
    size = OUT.stat().st_size / 1e6
    print(f"{len(words):,} words, {len(used):,} rows × {DIMENSIONS} → {OUT} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
