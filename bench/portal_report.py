"""The portal benchmark's figures as it prints them: for each query kind, the open-loop run
through the API, the views asked directly in-process, and the API one request at a time; then a
summary line per back-end."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.figures import per_second, percentile_ms
from bench.http_load import Run

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
