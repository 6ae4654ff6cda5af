"""The independent Go verifier (tools/logcheck), built from its sources for the tests that run it.

`make test` builds it first (services/test.sh: `make tools/logcheck/logcheck`); a test run on its
own builds it here the same way (Go's build cache makes a rebuild of unchanged sources quick).
A failed build fails the test: nothing is skipped for want of Go."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tools" / "logcheck"
BINARY = SOURCES / "logcheck"  # git-ignored
GO_HOME_BIN = Path("/usr/local/go/bin/go")  # where the machine notes install Go 1.26


def go() -> str:
    found = shutil.which("go") or (str(GO_HOME_BIN) if GO_HOME_BIN.exists() else None)
    if found is None:
        pytest.fail(
            "Go is not installed (not on PATH, nor /usr/local/go/bin): logcheck cannot be built"
        )
    return found


@functools.cache
def built_logcheck() -> Path:
    """tools/logcheck/logcheck, built (again) from the sources in the tree."""
    built = subprocess.run(
        [go(), "build", "-o", str(BINARY), "."],
        cwd=SOURCES,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "GOFLAGS": os.environ.get("GOFLAGS", "-mod=readonly")},
    )
    if built.returncode != 0:
        pytest.fail(f"go build of tools/logcheck failed:\n{built.stderr}")
    return BINARY


def run_logcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(built_logcheck()), *args], capture_output=True, text=True, timeout=60, check=False
    )


def accepted(*args: str) -> str:
    """logcheck's output; the test fails unless it accepted."""
    done = run_logcheck(*args)
    assert done.returncode == 0, f"logcheck refused {args[0]}: {done.stderr}"
    return done.stdout


def rejected(*args: str) -> str:
    """logcheck's reason; the test fails unless it rejected (exit 1, not a usage error)."""
    done = run_logcheck(*args)
    assert done.returncode == 1, (
        f"logcheck did not reject {args[0]} ({done.returncode}): {done.stdout}"
    )
    assert done.stderr.startswith("logcheck ")
    return done.stderr
