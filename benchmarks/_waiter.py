"""Row 5: waiter calls and lag, measured by ``benchmarks/waiter_lag.py``.

That module owns the measurement (aioproton's history-aware waiter against botocore's
fixed 5 s waiter and the JS/Go SDKs' backoff, all watching the same deployments on a
scaled clock, with an emulator of its own); this one runs it in a client process and
puts its figures into the table. botocore's waiter is what aiobotocore and boto3 users
both get, so its figures fill both columns; capo-proton has no waiters; the JS/Go
backoff, which no Python client ships, goes into a note.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
from typing import Any

import anyio

from ._config import BASE, Sizes
from ._table import Row, Table

MODULE = "benchmarks.waiter_lag"


def _seconds(value: float) -> str:
    return f"{value:,.2f}"


ROWS = (
    Row("waiter_calls", "5. waiter: API calls per deployment", "lower", lambda v: f"{v:,.1f}"),
    Row(
        "waiter_p50",
        "5. waiter: lag after the deployment ended, p50 (simulated s)",
        "lower",
        _seconds,
    ),
    Row(
        "waiter_p95",
        "5. waiter: lag after the deployment ended, p95 (simulated s)",
        "lower",
        _seconds,
    ),
)


def available() -> bool:
    return importlib.util.find_spec(MODULE) is not None


def job(sizes: Sizes) -> dict[str, Any]:
    """The waiter_lag settings: its defaults for a full run, a fast clock for --quick."""
    if sizes.quick:
        return {"kind": "waiter", "peer": "waiters", "count": 8, "speed": 200.0}
    return {"kind": "waiter", "peer": "waiters", "count": 100, "speed": 20.0}


def run(job: dict[str, Any]) -> dict[str, dict[str, float]]:
    """In the worker: run waiter_lag's measurement and sum each strategy up."""
    waiter_lag: Any = importlib.import_module(MODULE)
    args = argparse.Namespace(count=job["count"], speed=job["speed"], jitter=0.1, history=2, seed=1)
    observed = anyio.run(waiter_lag.measure, args)
    summary = {}
    for name, seen in observed.items():
        deployments = len(seen.polls)
        summary[name] = {
            "waiter_calls": (sum(seen.polls) + seen.other_calls) / deployments,
            "waiter_p50": statistics.median(seen.lags),
            "waiter_p95": waiter_lag.percentile(seen.lags, 0.95),
            "deployments": float(deployments),
        }
    summary["settings"] = {"count": job["count"], "speed": job["speed"]}
    return summary


def fill(table: Table, result: dict[str, dict[str, float]]) -> None:
    """Put one waiter_lag run into the table.

    Every strategy watched the same deployments at the same time, so the run is one
    paired round: aioproton's figures against botocore's.
    """
    settings = result.pop("settings")
    botocore = next(figures for name, figures in result.items() if "botocore" in name)
    for strategy, figures in result.items():
        if "aioproton" in strategy:
            for row in ROWS:
                table.pair(row.key, "aioproton", figures[row.key], botocore[row.key])
        elif "botocore" in strategy:
            for row in ROWS:
                table.add(row.key, BASE, figures[row.key])
                if "boto3" in table.peers:
                    table.pair(row.key, "boto3", figures[row.key], figures[row.key])
        else:
            table.notes.append(
                f"row 5, {strategy} (no Python client ships it): "
                f"{figures['waiter_calls']:.1f} calls per deployment, lag p50 "
                f"{figures['waiter_p50']:.2f} s, p95 {figures['waiter_p95']:.2f} s"
            )
    table.notes.append(
        f"row 5 is {MODULE}: {settings['count']:.0f} concurrent deployments of 5 s to "
        f"10 min, clock x{settings['speed']:g}, one run in simulated time; aiobotocore and "
        "boto3 share botocore's fixed 5 s waiter, so both columns show it"
    )
    for row in ROWS:
        if "capo-proton" in table.peers:
            table.mark(row.key, "capo-proton", "capo-proton 0.11 has no waiters")
        if "floor" in table.peers:
            table.mark(row.key, "floor", "the floor makes single calls only")


def skip(table: Table, why: str) -> None:
    """Mark the waiter rows as not measured, for every client."""
    for row in ROWS:
        for peer in table.peers:
            table.mark(row.key, peer, why)
