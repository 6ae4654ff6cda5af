"""RFC 6962 / RFC 9162 §2.1 hashing: SHA-256 with a 0x00 prefix for leaves, 0x01 for nodes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = HASH()

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = HASH(0x00 || d)."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: HASH(0x01 || left || right)."""
    return hashlib.sha256(_NODE + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of the tree over these leaf hashes, computed from scratch (O(n)).

    Pairing each level from the left and lifting an odd last node unchanged gives RFC 6962's
    tree, which splits at the largest power of two below the size.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
