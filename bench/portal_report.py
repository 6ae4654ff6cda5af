"""The portal benchmark's figures as it prints them: for each query kind, the open-loop run
through the API, the views asked directly in-process, and the API one request at a time; then a
summary line per back-end."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.figures import per_second, percentile_ms
from bench.http_load import Run, Step

TARGETS_MS = {"id": 25.0, "name": 50.0}
LABELS = {
    "id": "ID lookup   GET /portal/records?personal_id=",
    "name": "name search GET /portal/records/search?q=",
}


@dataclass
class Measured:
    """One back-end's figures, seconds each."""

    runs: dict[str, Run]  # open loop through the API, by query kind
    held: dict[str, list[int]]  # open connections per HTTP worker, 2 s into each run
    alone: dict[str, list[float]]  # through the API, one request at a time
    floor: list[float]  # GET /healthz, one at a time
    direct: dict[str, list[float]]  # the views in-process, one query at a time
    sweep: dict[str, list[Step]]  # open loop at rising rates, by query kind


REACHED = 0.95  # of the offered rate, for a run to hold


def holds(kind: str, run: Run) -> bool:
    """The run kept its p99 within the kind's target, failed no request, and kept up."""
    return (
        bool(run.latencies)
        and percentile_ms(run.latencies, 99) <= TARGETS_MS[kind]
        and run.errors == 0
        and run.rate >= REACHED * run.offered
    )


def highest(kind: str, steps: list[Step]) -> float | None:
    held = [step.rate for step in steps if holds(kind, step.run)]
    return max(held) if held else None


def report(label: str, args: argparse.Namespace, measured: Measured) -> str:
    """Prints the figures; returns the summary line."""
    print(
        f"  {label}: {args.entries:,} published entries; open loop at {args.rate:,.0f} "
        f"req/s for {args.seconds:,.0f} s per query kind; latency from the scheduled send time; "
        f"{args.workers} connections",
        flush=True,
    )
    summary: list[str] = []
    for run_name, run in measured.runs.items():
        kind, _, warm = run_name.partition(" ")
        base = measured.direct[kind]
        p50, p99 = percentile_ms(run.latencies, 50), percentile_ms(run.latencies, 99)
        b50, b99 = percentile_ms(base, 50), percentile_ms(base, 99)
        target = TARGETS_MS[kind]
        held = "/".join(str(n) for n in measured.held.get(run_name, [])) or "?"
        run_label = LABELS[kind] + (" (warm)" if warm else "")
        print(
            f"    {run_label:47} {run.rate:6.1f} req/s achieved, p50 {p50:6.1f} ms, "
            f"p99 {p99:6.1f} ms (target p99 <= {target:.0f} ms), max "
            f"{max(run.latencies, default=0) * 1000:6.1f} ms, errors {run.errors}; "
            f"connections per worker {held}",
            flush=True,
        )
        print(
            f"    {'  direct, the view in-process (sequential)':47} "
            f"{per_second(len(base), sum(base)):6.0f} q/s,          p50 {b50:6.1f} ms, "
            f"p99 {b99:6.1f} ms;   ratio API/direct p50 {p50 / b50:5.1f}, p99 {p99 / b99:5.1f}",
            flush=True,
        )
        one, floor = measured.alone[kind], measured.floor
        print(
            f"    {'  API alone, one request at a time':47} "
            f"{per_second(len(one), sum(one)):6.0f} req/s,        p50 "
            f"{percentile_ms(one, 50):6.1f} ms, p99 {percentile_ms(one, 99):6.1f} ms "
            f"(GET /healthz: p50 {percentile_ms(floor, 50):.1f} ms)",
            flush=True,
        )
        verdict = "within" if p99 <= target else "over"
        summary.append(f"{run_name} p99 {p99:.1f} ms ({verdict} {target:.0f})")
    for kind, steps in measured.sweep.items():
        top = highest(kind, steps)
        tried = ", ".join(
            f"{step.rate:,.0f}: {percentile_ms(step.run.latencies, 99):,.1f} ms"
            + (
                ""
                if holds(kind, step.run)
                else f" ({step.run.rate:,.0f} req/s, {step.run.errors} errors)"
            )
            for step in steps
        )
        print(
            f"    {LABELS[kind].split(' GET')[0]:11} highest rate within p99 <= "
            f"{TARGETS_MS[kind]:.0f} ms: "
            + (f"{top:,.0f} req/s" if top else "none of the rates tried")
            + f"; p99 at each rate tried ({args.sweep_seconds:.0f} s each): {tried}",
            flush=True,
        )
        summary.append(f"{kind} holds to " + (f"{top:,.0f} req/s" if top else "none tried"))
    one, base = measured.alone["inside"], measured.direct["inside"]
    print(
        f"    {'search inside names, one request at a time':47} API p50 "
        f"{percentile_ms(one, 50):6.1f} ms, p99 {percentile_ms(one, 99):6.1f} ms; in-process "
        f"p50 {percentile_ms(base, 50):6.1f} ms, p99 {percentile_ms(base, 99):6.1f} ms",
        flush=True,
    )
    return f"portal {label} {args.entries:,} entries at {args.rate:.0f} req/s: " + "; ".join(
        summary
    )
