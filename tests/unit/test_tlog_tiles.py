"""Tile geometry and paths as C2SP tlog-tiles defines them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.tlog.hashing import leaf_hash, merkle_root
from infra.tlog.tiles import (
    TILE_WIDTH,
    TilePathError,
    TileTree,
    level_widths,
    parse_tile_path,
    subtree_span,
    tile_path,
    tile_root,
    tiles_of,
)


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 0, 256, "tile/0/000"),
        (0, 1234067, 256, "tile/0/x001/x234/067"),
        (0, 1234067, 5, "tile/0/x001/x234/067.p/5"),
        (2, 1000, 1, "tile/2/x001/000.p/1"),
        (1, 999, 255, "tile/1/999.p/255"),
        (63, 1_000_000, 256, "tile/63/x001/x000/000"),
    ],
)
def test_tile_paths(level: int, index: int, width: int, path: str) -> None:
    assert tile_path(level, index, width) == path
    assert parse_tile_path(path) == (level, index, width)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/0",  # index groups are 3 digits
        "tile/00/000",  # no leading zeroes in the level
        "tile/64/000",  # levels are 0..63
        "tile/0/x000/001",  # one index, one path
        "tile/0/000.p/0",
        "tile/0/000.p/256",  # a full tile has no .p/
        "tile/0/000.p/05",
        "tile/0/001/002",  # only the last group lacks its x
        "tile/entries/000",  # entry bundles are not hash tiles
        "tile/8/0/000",  # sumdb's paths carry the height; tlog-tiles' do not
        "/tile/0/000",
    ],
)
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_the_specs_example_sizes() -> None:
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
    # tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    # partial level 2 tile of width 1"
    tiles = tiles_of(70_000)
    assert [t for t in tiles if t[0] == 0] == [(0, n, 256) for n in range(273)] + [(0, 273, 112)]
    assert [t for t in tiles if t[0] > 0] == [(1, 0, 256), (1, 1, 17), (2, 0, 1)]
    assert level_widths(70_000) == [112, 17, 1]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
    # of width 1"
    assert tiles_of(256) == [(0, 0, 256), (1, 0, 1)]
    assert level_widths(256) == [0, 1]
    assert tiles_of(0) == []


@given(st.integers(0, 40), st.integers(0, 10**9))
def test_a_subtree_lies_in_one_tile(height: int, index: int) -> None:
    span = subtree_span(height, index)
    assert span.level == height // 8
    assert span.count == 1 << (height % 8)
    assert span.offset + span.count <= TILE_WIDTH
    assert span.offset % span.count == 0
    first_leaf = (span.index * TILE_WIDTH + span.offset) * TILE_WIDTH**span.level
    assert first_leaf == index << height


@given(st.integers(1, 256))
def test_a_tile_tree_holds_its_complete_subtrees(width: int) -> None:
    hashes = [leaf_hash(i.to_bytes(2, "big")) for i in range(width)]
    tree = TileTree(b"".join(hashes))
    assert tree.width == width
    for rest in range(8):
        count = 1 << rest
        for offset in range(0, width - count + 1, count):
            assert tree.subtree(offset, count) == merkle_root(hashes[offset : offset + count])
    if width == TILE_WIDTH:
        assert tile_root(b"".join(hashes)) == merkle_root(hashes)


def test_only_full_tiles_are_hashed_upwards() -> None:
    with pytest.raises(ValueError, match="full tile"):
        tile_root(b"\x00" * 32 * 255)
    with pytest.raises(ValueError, match="256 hashes"):
        TileTree(b"\x00" * 33)
