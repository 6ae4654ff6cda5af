"""Merkle tree hashing and proofs: Certificate Transparency's vectors, the RFC's own recursive
definitions for random sizes, and proofs that stop verifying when anything in them changes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.tlog.hashing import EMPTY_ROOT, leaf_hash, merkle_root, node_hash
from infra.tlog.proofs import (
    HashReader,
    ProofRequestError,
    SubtreeKey,
    consistency_proof,
    inclusion_proof,
    root_from_inclusion,
    subtrees,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# The leaf inputs, node hashes and roots of Certificate Transparency's RFC 6962 test vectors
# (as kept by transparency-dev/merkle's testonly package).
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in [
        *("", "00", "10", "2021", "3031", "40414243", "5051525354555657"),
        "606162636465666768696a6b6c6d6e6f",
    ]
]
NODE = [  # NODE[height][index]: the complete subtrees of the 8-leaf tree
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
ROOTS = [  # by tree size, 0 to 8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]


def node(height: int, index: int) -> bytes:
    return bytes.fromhex(NODE[height][index])


def reader(leaves: Sequence[bytes]) -> HashReader:
    """A hash reader over an in-memory tree: each subtree hashed from its leaves."""

    def read(keys: Sequence[SubtreeKey]) -> list[bytes]:
        return [merkle_root(leaves[k << h : (k + 1) << h]) for h, k in keys]

    return read


# -- RFC 9162 §2.1's recursive definitions, written as the RFC states them -----------------------


def mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def leaves_of(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]


# -- vectors ---------------------------------------------------------------------------------------


def test_roots_match_certificate_transparency_vectors() -> None:
    for size, expected in enumerate(ROOTS):
        assert merkle_root(CT_LEAVES[:size]).hex() == expected
        assert tree_root(size, reader(CT_LEAVES[:size])).hex() == expected
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert [h.hex() for h in CT_LEAVES] == NODE[0]


@pytest.mark.parametrize(
    ("index", "size", "expected"),
    [
        (0, 8, [(0, 1), (1, 1), (2, 1)]),
        (1, 5, [(0, 0), (1, 1), (0, 4)]),
        (0, 1, []),
        (5, 8, [(0, 4), (1, 3), (2, 0)]),
        (6, 7, [(1, 2), (2, 0)]),
    ],
)
def test_inclusion_proofs_match_vectors(
    index: int, size: int, expected: list[tuple[int, int]]
) -> None:
    leaves = CT_LEAVES[:size]
    proof = inclusion_proof(index, size, reader(leaves))
    assert proof == [node(h, k) for h, k in expected]
    assert verify_inclusion(leaves[index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (1, 8, [(0, 1), (1, 1), (2, 1)]),
        (2, 5, [(1, 1), (0, 4)]),
        (6, 7, [(1, 2), (0, 6), (2, 0)]),
        (4, 8, [(2, 1)]),
        (3, 4, [(0, 2), (0, 3), (1, 0)]),
    ],
)
def test_consistency_proofs_match_vectors(
    old: int, new: int, expected: list[tuple[int, int]]
) -> None:
    proof = consistency_proof(old, new, reader(CT_LEAVES[:new]))
    assert proof == [node(h, k) for h, k in expected]
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert verify_consistency(old, new, old_root, new_root, proof)


# -- against the RFC's definitions, for random sizes -----------------------------------------------


@given(st.integers(0, 600), st.integers(0, 600))
def test_subtrees_cover_the_range_with_aligned_complete_subtrees(lo: int, length: int) -> None:
    covered = []
    for height, index in subtrees(lo, lo + length):
        covered.extend(range(index << height, (index + 1) << height))
    assert covered == list(range(lo, lo + length))


def a_tree_and_a_leaf(low: int, high: int) -> st.SearchStrategy[tuple[int, int]]:
    """A tree size from ``low`` to ``high`` and the index of one of its leaves."""
    return st.integers(low, high).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))


def two_trees(low: int, high: int, *, same: bool) -> st.SearchStrategy[tuple[int, int]]:
    """An older and a newer tree size from ``low`` to ``high`` (``same``: they may be equal)."""
    last = 0 if same else 1
    return st.integers(low, high).flatmap(lambda n: st.tuples(st.integers(1, n - last), st.just(n)))


@settings(max_examples=200, deadline=None)
@given(a_tree_and_a_leaf(1, 300))
def test_inclusion_proof_is_the_rfc_path(size_and_index: tuple[int, int]) -> None:
    size, index = size_and_index
    leaves = leaves_of(size)
    proof = inclusion_proof(index, size, reader(leaves))
    assert proof == path(index, leaves)
    root = mth(leaves)
    assert tree_root(size, reader(leaves)) == root == merkle_root(leaves)
    assert verify_inclusion(leaves[index], index, size, proof, root)


@settings(max_examples=200, deadline=None)
@given(two_trees(1, 300, same=True))
def test_consistency_proof_is_the_rfc_proof(sizes: tuple[int, int]) -> None:
    old, new = sizes
    leaves = leaves_of(new)
    proof = consistency_proof(old, new, reader(leaves))
    assert proof == subproof(old, leaves, True)
    assert verify_consistency(old, new, mth(leaves[:old]), mth(leaves), proof)


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(changed)


def one_hash_flipped(proof: list[bytes], bit: int, data: st.DataObject) -> list[bytes]:
    """The proof with ``bit`` flipped in one of its hashes (drawn)."""
    at = data.draw(st.integers(0, len(proof) - 1))
    return [*proof[:at], flip(proof[at], bit), *proof[at + 1 :]]


@settings(max_examples=200, deadline=None)
@given(a_tree_and_a_leaf(2, 200), st.integers(0, 255), st.data())
def test_a_changed_inclusion_proof_fails(
    size_and_index: tuple[int, int], bit: int, data: st.DataObject
) -> None:
    size, index = size_and_index
    leaves = leaves_of(size)
    root = merkle_root(leaves)
    proof = inclusion_proof(index, size, reader(leaves))
    leaf = leaves[index]
    changed = one_hash_flipped(proof, bit, data)
    assert not verify_inclusion(leaf, index, size, changed, root)
    assert not verify_inclusion(flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, bit))
    assert not verify_inclusion(leaf, index, size, proof[:-1], root)
    assert not verify_inclusion(leaf, index, size, [*proof, root], root)
    other = data.draw(st.integers(0, size - 1))
    if other != index:
        assert not verify_inclusion(leaf, other, size, proof, root)


@settings(max_examples=200, deadline=None)
@given(two_trees(2, 200, same=False), st.integers(0, 255), st.data())
def test_a_changed_consistency_proof_fails(
    sizes: tuple[int, int], bit: int, data: st.DataObject
) -> None:
    old, new = sizes
    leaves = leaves_of(new)
    old_root, new_root = merkle_root(leaves[:old]), merkle_root(leaves)
    proof = consistency_proof(old, new, reader(leaves))
    assert verify_consistency(old, new, old_root, new_root, proof)
    changed = one_hash_flipped(proof, bit, data)
    assert not verify_consistency(old, new, old_root, new_root, changed)
    assert not verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    assert not verify_consistency(new, old, new_root, old_root, proof)


def test_edge_sizes() -> None:
    leaves = leaves_of(5)
    root = merkle_root(leaves)
    read = reader(leaves)
    assert consistency_proof(5, 5, read) == []
    assert consistency_proof(0, 5, read) == []
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, flip(root, 0), [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 5, root, root, [])
    assert not verify_consistency(2, 5, merkle_root(leaves[:2]), root, [])
    assert tree_root(0, read) == EMPTY_ROOT
    assert root_from_inclusion(leaves[0], 0, 1, []) == leaves[0]
    assert root_from_inclusion(leaves[0], 1, 1, []) is None
    assert root_from_inclusion(b"short", 0, 1, []) is None
    for index, size in [(5, 5), (-1, 5), (0, 0)]:
        with pytest.raises(ProofRequestError):
            inclusion_proof(index, size, read)
    with pytest.raises(ProofRequestError):
        consistency_proof(6, 5, read)
