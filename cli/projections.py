"""hotich projections: the read models' live copies, and rebuilding one."""

from __future__ import annotations

import resource
from typing import Annotated

import typer
from rich.table import Table

from bootstrap.container import service_database
from bootstrap.views import live_views
from cli.console import console, fail, settings
from cli.progress import counting
from infra.read_store.live_views import READ_MODELS

projections_app = typer.Typer(
    help="Read models (bảng đọc): list their live copies, rebuild one.", no_args_is_help=True
)


@projections_app.command("list")
def projections_list() -> None:
    """Each read model's live copy, its position and the copy it replaced."""
    service_db = service_database(settings())
    live = live_views(settings(), service_db)
    table = Table("read model", "live copy", "position", "previous copy")
    try:
        for name in READ_MODELS:
            view = live.view(name)
            previous = live.slots.previous(name) or "-"
            table.add_row(name, view.generation, str(view.position()), previous)
    finally:
        live.close()
        service_db.close()
    console.print(table)


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="catalogue, progress, portal or history")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="log (the event store) or topic (offset 0 of HOTICH_KAFKA_TOPIC); default: "
            "topic when HOTICH_KAFKA_BOOTSTRAP is set, else log",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(min=0, help="worker processes checking seals (from the log); 0: this one"),
    ] = 1,
) -> None:
    """Build a fresh copy of a read model, then switch readers to it while the live one serves."""
    from bootstrap.rebuild import rebuild, rebuild_source

    config = settings()
    try:
        source = rebuild_source(config, name, source)
    except ValueError as e:
        fail(e if str(e).startswith("--") else f"NAME: {e}")
    with counting(f"rebuilding {name} from the {source}") as update:
        rebuilt = rebuild(config, name, source, jobs=jobs, progress=update)
    switch = rebuilt.switch
    console.print(
        f"{name}: {rebuilt.events:,} events in {rebuilt.seconds:.1f} s "
        f"({rebuilt.rate:,.0f} ev/s), {rebuilt.quarantined} quarantined"
    )
    dropped = f"; dropped {switch.dropped}" if switch.dropped else ""
    console.print(
        f"live copy now {switch.generation} (was {switch.replaced}{dropped})", soft_wrap=True
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak memory {peak:,.0f} MB")
