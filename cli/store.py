"""hotich verify and hotich fixity: the event store and the stored scans checked."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from bootstrap.container import bootstrap
from bootstrap.verify import verify as verify_store
from bootstrap.verify import verify_log
from cli.console import console, err, fail, settings
from cli.progress import counting
from digitization.application import FixityReport
from domain.errors import DomainError
from infra.signing.keyring import KeyringError
from infra.store.verify import VerifyReport


def verify(
    keys: Annotated[
        Path | None,
        typer.Option(help="check against this exported key set instead of the data directory's"),
    ] = None,
    jobs: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes for signature checks")
    ] = 2,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    against: Annotated[
        list[Path] | None,
        typer.Option(help="a checkpoint kept elsewhere (a witness's, an auditor's); repeatable"),
    ] = None,
    log_key: Annotated[
        str | None, typer.Option(help="the log's verifier key to hold checkpoints to")
    ] = None,
) -> None:
    """Check the whole store: contiguous versions, every hash chain, every signature; and the
    verifiable log: the tree, every checkpoint, and checkpoints kept elsewhere (--against)."""
    report = _events_checked(keys, jobs, progress)
    _print_verified(report)
    audit = verify_log(settings(), against=against or [], log_key=log_key)
    console.print(
        f"log: {audit.tree_size:,} leaves for {audit.events:,} events, "
        f"{audit.checkpoints:,} checkpoints, {len(against or []):,} kept elsewhere"
    )
    problems = [*report.problems, *audit.problems]
    count = report.problem_count + audit.problem_count
    if not count:
        console.print("[green]OK: every chain, version, signature and checkpoint checks[/green]")
        return
    for problem in problems:
        err.print(f"[red]FAIL[/red] {problem}")
    if count > len(problems):
        err.print(f"... and {count - len(problems)} more")
    fail(f"{count} problem(s) found", 1)


def _events_checked(keys: Path | None, jobs: int, progress: bool) -> VerifyReport:
    """Every event checked on its own (chain, version, signature), with a progress bar."""
    done = 0
    try:
        with counting("verifying", shown=progress) as update:

            def advance(n: int) -> None:
                nonlocal done
                done += n
                update(done, None)

            return verify_store(settings(), keys_file=keys, jobs=jobs, on_progress=advance)
    except KeyringError as e:
        fail(f"keys: {e}")
    except FileNotFoundError as e:
        fail(e)


def _print_verified(report: VerifyReport) -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seen = ", ".join(f"{k} ({n:,})" for k, n in report.keys_seen.items()) or "-"
    table = Table(show_header=False, box=None)
    table.add_row("events (sự kiện)", f"{report.events:,}")
    table.add_row("aggregates", f"{report.aggregates:,}")
    table.add_row("keys seen (khóa)", seen)
    table.add_row("events/s", f"{report.events_per_second:,.0f}")
    table.add_row("peak memory", f"{peak_mb:,.0f} MB")
    console.print(table)


def fixity(
    register: Annotated[UUID | None, typer.Option(help="check one register; default: all")] = None,
) -> None:
    """Re-read every stored scan, compare SHA-256 and size with the events, record the outcome."""
    container = bootstrap(settings())
    try:
        ids = [register] if register else list(container.app.register_ids())
        reports = [container.app.check_fixity(register_id=i) for i in ids]
    except DomainError as e:
        fail(e)
    finally:
        container.close()
    console.print(_fixity_table(reports))
    failed = sum(not r.ok for r in reports)
    if failed:
        fail(f"{failed} register(s) with missing or changed scans", 1)
    console.print(
        f"[green]OK: every stored scan of {len(ids)} register(s) matches its events[/green]"
    )


def _fixity_table(reports: list[FixityReport]) -> Table:
    table = Table("register (sổ)", "scans", "missing", "changed", "outcome")
    for report in reports:
        table.add_row(
            str(report.register_id),
            str(report.checked),
            "\n".join(report.missing) or "-",
            "\n".join(report.changed) or "-",
            "pass" if report.ok else "[red]FAIL[/red]",
        )
    return table
