"""Tree heads, inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4), made and checked.

Making a proof only needs hashes of complete subtrees: a subtree is named by its height ``h``
and index ``k`` and covers leaves ``[k * 2**h, (k + 1) * 2**h)``; its hash never changes once
its leaves exist. Every hash a proof or a root needs is the hash of a range of leaves that
splits into at most ~log2(n) such subtrees, so a proof costs one batched ``read`` of
O(log n) stored hashes, then O(log n) hashing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

from infra.tlog.hashing import EMPTY_ROOT, HASH_SIZE, node_hash

SubtreeKey = tuple[int, int]  # (height, index)
HashReader = Callable[[Sequence[SubtreeKey]], Sequence[bytes]]  # the hashes, in the keys' order


class ProofRequestError(ValueError):
    """A proof or root was asked for an index or sizes that do not make one."""


def subtrees(lo: int, hi: int) -> list[SubtreeKey]:
    """The largest aligned complete subtrees covering leaves ``[lo, hi)``, left to right."""
    keys: list[SubtreeKey] = []
    while lo < hi:
        height = (hi - lo).bit_length() - 1  # the largest that fits in the range
        if lo:
            height = min(height, (lo & -lo).bit_length() - 1)  # and that ``lo`` is aligned to
        keys.append((height, lo >> height))
        lo += 1 << height
    return keys


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size >= 2): where RFC 6962 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make PATH(index, D[0:size]), in the proof's order."""
    if not 0 <= index < size:
        raise ProofRequestError(f"leaf {index} is not in a tree of size {size}")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo += k
    return siblings[::-1]  # the path lists the leaf's sibling first, the root's child last


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make PROOF(old_size, D[0:new_size]), in the proof's order."""
    if not 0 <= old_size <= new_size:
        raise ProofRequestError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []  # every tree extends the empty one; a tree is consistent with itself
    collected: list[tuple[int, int]] = []
    first: list[tuple[int, int]] = []
    lo, hi, whole = 0, new_size, True  # ``whole``: the subtree is the old tree's root itself
    while True:
        m, n = old_size - lo, hi - lo
        if m == n:
            if not whole:
                first.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            collected.append((lo + k, hi))
            hi = lo + k
        else:
            collected.append((lo, lo + k))
            lo += k
            whole = False
    return first + collected[::-1]


def _range_hashes(ranges: Sequence[tuple[int, int]], read: HashReader) -> list[bytes]:
    """The Merkle tree hash of each range, from one read of the subtree hashes they need."""
    parts = [subtrees(lo, hi) for lo, hi in ranges]
    keys = list(dict.fromkeys(key for part in parts for key in part))
    found = dict(zip(keys, read(keys), strict=True))
    hashes: list[bytes] = []
    for part in parts:
        acc = found[part[-1]]
        for key in reversed(part[:-1]):  # a range's hash folds its subtrees from the right
            acc = node_hash(found[key], acc)
        hashes.append(acc)
    return hashes


def tree_root(size: int, read: HashReader) -> bytes:
    """MTH(D[0:size])."""
    if size < 0:
        raise ProofRequestError(f"a tree cannot have {size} leaves")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], read)[0]


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """PATH(index, D[0:size]): the audit path of leaf ``index`` in the tree of ``size``."""
    return _range_hashes(inclusion_ranges(index, size), read)


def consistency_proof(old_size: int, new_size: int, read: HashReader) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]): the tree of ``new_size`` extends that of ``old_size``."""
    return _range_hashes(consistency_ranges(old_size, new_size), read)


def _well_formed(proof: Sequence[bytes], *hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in (*proof, *hashes))


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root the audit path leads to (RFC 9162 §2.1.3.2), or None if it is malformed."""
    if not 0 <= index < size or not _well_formed(proof, leaf):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None  # longer than the tree is deep
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:  # skip the levels where the node has no right sibling
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows that leaf hash ``leaf`` is leaf ``index`` of the tree ``root``."""
    return root_from_inclusion(leaf, index, size, proof) == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that tree ``new_root`` extends tree ``old_root`` (RFC 9162 §2.1.4.2).

    Sizes equal: the proof is empty and the roots are equal. Old size 0: the proof is empty
    and the old root is the empty tree's (every tree extends it).
    """
    if not 0 <= old_size <= new_size or not _well_formed(proof, old_root, new_root):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def inclusion_proof_json(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> dict[str, object]:
    """An inclusion proof as served to verifiers: ``{index, size, leaf_hash, hashes}``, the
    hashes in base64, the RFC 6962 leaf hash (SHA-256(0x00 || event hash)) as ``leaf_hash``."""
    return {
        "index": index,
        "size": size,
        "leaf_hash": _b64(leaf),
        "hashes": [_b64(h) for h in proof],
    }


def consistency_proof_json(
    old_size: int, new_size: int, proof: Sequence[bytes]
) -> dict[str, object]:
    """A consistency proof as served to verifiers: ``{from, to, hashes}``, hashes in base64."""
    return {"from": old_size, "to": new_size, "hashes": [_b64(h) for h in proof]}
