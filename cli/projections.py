"""hotich projections: the read models' live copies, and rebuilding one."""

from __future__ import annotations

import os
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
    names: Annotated[
        list[str],
        typer.Argument(
            help="catalogue, progress, portal or history; several are built at once; "
            "all: every one",
            metavar="NAME...",
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="log (the event store) or topic (offset 0 of HOTICH_KAFKA_TOPIC); default: "
            "topic when HOTICH_KAFKA_BOOTSTRAP is set, else log",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="processes building copies at once (several read models); default: the CPUs",
        ),
    ] = None,
) -> None:
    """Build fresh copies of read models, then switch readers to each while the live one serves."""
    from bootstrap.rebuild import rebuild_many, rebuild_source

    config = settings()
    if names == ["all"]:
        names = list(READ_MODELS)
    names = list(dict.fromkeys(names))
    sources = set()
    for name in names:
        try:
            sources.add(rebuild_source(config, name, source))
        except ValueError as e:
            fail(e if str(e).startswith("--") else f"NAME: {e}")
    if len(sources) > 1:
        fail(
            "NAME: the catalogue is rebuilt from the log, the others from the topic: one at a time"
        )
    [chosen] = sources
    with counting(f"rebuilding {', '.join(names)} from the {chosen}") as update:
        done = rebuild_many(
            config, names, chosen, jobs=jobs or os.cpu_count() or 1, progress=update
        )
    for name, rebuilt in done.rebuilt.items():
        switch = rebuilt.switch
        console.print(
            f"{name}: {rebuilt.events:,} events in {rebuilt.seconds:.1f} s "
            f"({rebuilt.rate:,.0f} ev/s), {rebuilt.quarantined} quarantined"
        )
        dropped = f"; dropped {switch.dropped}" if switch.dropped else ""
        console.print(
            f"live copy now {switch.generation} (was {switch.replaced}{dropped})", soft_wrap=True
        )
    console.print(
        f"{done.events:,} events in {done.seconds:.1f} s ({done.rate:,.0f} ev/s); peak memory "
        f"{done.peak_mb:,.0f} MB (all processes)"
    )
