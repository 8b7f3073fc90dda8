"""The one table: a row per measurement, a column per client, ratios to aioproton.

Rounds are combined by keeping each client's best figure (the lowest time, the highest
rate): on a shared machine noise only ever makes a run slower, so the best round is
the one least disturbed. Every ratio is ``peer / aioproton`` for that row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

from ._config import BASE

Better = Literal["lower", "higher"]


def _int(value: float) -> str:
    return f"{value:,.0f}"


def _two(value: float) -> str:
    return f"{value:,.2f}"


def _three(value: float) -> str:
    return f"{value:,.3f}"


@attrs.frozen
class Row:
    key: str
    label: str
    better: Better
    render: Callable[[float], str] = _int


@attrs.define
class Table:
    """Figures per row and client, with notes for whatever is missing."""

    rows: list[Row]
    peers: list[str]
    values: dict[str, dict[str, list[float]]] = attrs.field(factory=dict)
    missing: dict[str, dict[str, str]] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)

    def add(self, key: str, peer: str, value: float) -> None:
        self.values.setdefault(key, {}).setdefault(peer, []).append(value)

    def mark(self, key: str, peer: str, why: str) -> None:
        """``peer`` has no figure on row ``key``; ``why`` is printed under the table."""
        self.missing.setdefault(key, {})[peer] = why

    def best(self, key: str, peer: str) -> float | None:
        row = self._row(key)
        found = self.values.get(key, {}).get(peer)
        if not found:
            return None
        return min(found) if row.better == "lower" else max(found)

    def ratio(self, key: str, peer: str) -> float | None:
        base, value = self.best(key, BASE), self.best(key, peer)
        if base is None or value is None or base == 0:
            return None
        return value / base

    def _row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)

    # ------------------------------------------------------------------ rendering

    def cells(self) -> list[list[str]]:
        """Header and body as text cells."""
        header = ["benchmark", "better", *self.peers]
        body = []
        for row in self.rows:
            line = [row.label, row.better]
            for peer in self.peers:
                line.append(self._cell(row, peer))
            body.append(line)
        return [header, *body]

    def _cell(self, row: Row, peer: str) -> str:
        value = self.best(row.key, peer)
        if value is None:
            return "n/a" if peer in self.missing.get(row.key, {}) else "-"
        text = row.render(value)
        ratio = self.ratio(row.key, peer)
        if peer == BASE or ratio is None:
            return text
        return f"{text} ({ratio:.2f}x)"

    def footnotes(self) -> list[str]:
        lines = [
            "(N.NNx) = the client's figure / aioproton's on that row. 'better' says which "
            "way is better: on a 'lower' row a ratio above 1.00x means aioproton is ahead, "
            "on a 'higher' row a ratio below 1.00x does.",
        ]
        grouped: dict[str, tuple[list[str], list[str]]] = {}
        for row in self.rows:
            for peer, why in self.missing.get(row.key, {}).items():
                keys, peers = grouped.setdefault(why, ([], []))
                number = row.label.partition(".")[0]
                if number not in keys:
                    keys.append(number)
                if peer not in peers:
                    peers.append(peer)
        for why, (numbers, peers) in grouped.items():
            lines.append(f"n/a in row {', '.join(numbers)} for {', '.join(peers)}: {why}")
        return lines + self.notes

    def text(self) -> str:
        cells = self.cells()
        widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]

        def render(line: Sequence[str]) -> str:
            first = line[0].ljust(widths[0])
            rest = [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
            return "  ".join([first, *rest]).rstrip()

        rule = "  ".join("-" * width for width in widths)
        lines = [render(cells[0]), rule, *(render(line) for line in cells[1:])]
        return "\n".join([*lines, "", *self.footnotes()])

    def markdown(self) -> str:
        cells = self.cells()
        align = ["---", ":---:", *("---:" for _ in self.peers)]
        lines = ["| " + " | ".join(cells[0]) + " |", "| " + " | ".join(align) + " |"]
        lines += ["| " + " | ".join(line) + " |" for line in cells[1:]]
        notes = [f"- {note}" for note in self.footnotes()]
        return "\n".join([*lines, "", *notes]) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "peers": self.peers,
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "better": row.better,
                    "best": {peer: self.best(row.key, peer) for peer in self.peers},
                    "ratio": {peer: self.ratio(row.key, peer) for peer in self.peers},
                    "rounds": self.values.get(row.key, {}),
                    "missing": self.missing.get(row.key, {}),
                }
                for row in self.rows
            ],
            "notes": self.notes,
        }


def rows(list_items: int, concurrency: Sequence[int], waiter: Sequence[Row]) -> list[Row]:
    """Every row of the table, in order."""
    return [
        Row("latency_us", "1. GetEnvironment latency, sequential, median (us)", "lower"),
        Row("cpu_us", "1. client CPU per GetEnvironment (us)", "lower"),
        *(
            Row(
                f"throughput_{c}",
                f"2. GetEnvironment throughput, concurrency {c} (calls/s)",
                "higher",
            )
            for c in concurrency
        ),
        Row(
            "page_seconds",
            f"3. ListServiceInstances, {list_items:,} items: time (s)",
            "lower",
            _three,
        ),
        Row(
            "page_cpu",
            f"3. ListServiceInstances, {list_items:,} items: client CPU (s)",
            "lower",
            _three,
        ),
        Row(
            "page_peak_kib",
            f"3. ListServiceInstances, {list_items:,} items: peak memory (KiB)",
            "lower",
        ),
        *waiter,
        Row("rollout_rate", "5. rollout: instances updated per second", "higher", _two),
        Row("rollout_calls", "5. rollout: API calls per instance", "lower", _two),
    ]
