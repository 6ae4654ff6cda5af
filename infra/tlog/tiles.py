"""C2SP tlog-tiles geometry: which tile holds which hashes, tile paths, hashing inside a tile.

A tile at level L, index N holds up to 256 consecutive hashes of complete subtrees of height
8·L (at level 0 the leaf hashes): entry i is MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]).
A subtree of height h = 8·L + r (r < 8) is then the root of 2^r consecutive, aligned entries
of one tile at level L, so any subtree hash comes from a single tile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.tlog.hashing import HASH_SIZE, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes in a full tile
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_LEVEL = 63  # tlog-tiles: L is 0..63


class TilePathError(ValueError):
    """A path is not a tlog-tiles hash tile path."""


@dataclass(frozen=True)
class SubtreeSpan:
    """Where a subtree's entries lie: ``count`` entries from ``offset`` in tile (level, index)."""

    level: int
    index: int
    offset: int
    count: int


def subtree_span(height: int, index: int) -> SubtreeSpan:
    """The tile entries whose root is the hash of subtree (height, index)."""
    level, rest = divmod(height, TILE_HEIGHT)
    first = index << rest  # the first entry, counted along the whole level
    tile, offset = divmod(first, TILE_WIDTH)
    return SubtreeSpan(level, tile, offset, 1 << rest)


def level_widths(size: int) -> list[int]:
    """How many hashes the rightmost (partial) tile of each level holds for a tree of ``size``.

    Level L has floor(size / 256^L) entries; the partial tile holds that count mod 256 (0: the
    level has no partial tile). The list runs up to the highest level holding any entry.
    """
    widths: list[int] = []
    entries = size
    while entries:
        widths.append(entries % TILE_WIDTH)
        entries //= TILE_WIDTH
    return widths


def tiles_of(size: int) -> list[tuple[int, int, int]]:
    """Every tile (level, index, width) of a tree of ``size``: the full ones, then the partial."""
    tiles: list[tuple[int, int, int]] = []
    entries = size
    level = 0
    while entries:
        full, width = divmod(entries, TILE_WIDTH)
        tiles.extend((level, n, TILE_WIDTH) for n in range(full))
        if width:
            tiles.append((level, full, width))
        entries = full
        level += 1
    return tiles


class TileTree:
    """The complete subtrees over one tile's entries: ``levels[r][j]`` covers entries
    ``[j·2^r, (j+1)·2^r)``. An odd entry at the right end has no parent yet (not hashed)."""

    __slots__ = ("levels",)

    def __init__(self, entries: bytes) -> None:
        if len(entries) % HASH_SIZE or len(entries) > FULL_TILE_BYTES:
            raise ValueError(f"a tile holds up to 256 hashes, not {len(entries)} bytes")
        level = [entries[i : i + HASH_SIZE] for i in range(0, len(entries), HASH_SIZE)]
        self.levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    @property
    def width(self) -> int:
        return len(self.levels[0])

    def subtree(self, offset: int, count: int) -> bytes:
        """The root of ``count`` (a power of two) entries from ``offset`` (aligned to count)."""
        rest = count.bit_length() - 1
        return self.levels[rest][offset >> rest]


def tile_root(entries: bytes) -> bytes:
    """The hash a full tile contributes to the level above: the root of its 256 entries."""
    if len(entries) != FULL_TILE_BYTES:
        raise ValueError("only a full tile is hashed into the level above")
    return TileTree(entries).levels[-1][0]


def _index_path(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` (tlog-tiles), e.g. level 0, index 1234067, width 5:
    ``tile/0/x001/x234/067.p/5``."""
    if not 0 <= level <= MAX_LEVEL or index < 0 or not 1 <= width <= TILE_WIDTH:
        raise TilePathError(f"no tile at level {level}, index {index}, width {width}")
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{_index_path(index)}{partial}"


_NUMBER = r"(?:0|[1-9][0-9]*)"
_TILE_PATH = re.compile(
    rf"tile/(?P<level>{_NUMBER})/(?P<index>(?:x[0-9]{{3}}/)*[0-9]{{3}})(?:\.p/(?P<width>{_NUMBER}))?"
)


def parse_tile_path(path: str) -> tuple[int, int, int]:
    """(level, index, width) of a ``tile/<L>/<N>[.p/<W>]`` path; width 256 for a full tile.

    Strict, as the spec's paths are: no leading zeroes outside the 3-digit groups, no
    ``x000`` group first (one index has one path), widths 1..255 after ``.p/``.
    """
    found = _TILE_PATH.fullmatch(path)
    if found is None:
        raise TilePathError(f"not a tile path: {path!r}")
    level = int(found["level"])
    digits = found["index"].replace("x", "").replace("/", "")
    index = int(digits)
    width = int(found["width"]) if found["width"] is not None else TILE_WIDTH
    if (
        level > MAX_LEVEL
        or not 1 <= width <= TILE_WIDTH
        or (found["width"] is not None and width == TILE_WIDTH)
        or tile_path(level, index, width) != path
    ):
        raise TilePathError(f"not a tile path: {path!r}")
    return level, index, width
