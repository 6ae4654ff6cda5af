"""The demo served on the embedded default, once for the schema tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.demo_stack import DemoServer, serve_demo


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory, "schema") as server:
        yield server
