"""The one table: a row per measurement, a column per client, paired ratios to aiobotocore.

Each round measures a client and aiobotocore one right after the other (the order
alternating between rounds), so both see the same moment of a shared machine; the
ratio of that pair is the round's figure. A row reports the median of those ratios and
their spread (lowest to highest), never the ratio of two independently chosen samples.
Absolute figures are medians too, kept as context; only the ratios compare.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

from ._config import BASE

Better = Literal["lower", "higher"]
#: The client whose absolute figures get a column of their own, beside the base's.
SUBJECT = "aioproton"


def _int(value: float) -> str:
    return f"{value:,.0f}"


def _one(value: float) -> str:
    return f"{value:,.1f}"


def _two(value: float) -> str:
    return f"{value:,.2f}"


@attrs.frozen
class Row:
    key: str
    label: str
    better: Better
    render: Callable[[float], str] = _int
    scale: float = 1.0  # the measured unit times this is the unit of the label


@attrs.define
class Table:
    """Absolute figures and paired ratios per row and client, with notes for the gaps."""

    rows: list[Row]
    peers: list[str]
    values: dict[str, dict[str, list[float]]] = attrs.field(factory=dict)
    ratios: dict[str, dict[str, list[float]]] = attrs.field(factory=dict)
    missing: dict[str, dict[str, str]] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)

    def add(self, key: str, peer: str, value: float) -> None:
        """One absolute figure (in the row's measured unit)."""
        self.values.setdefault(key, {}).setdefault(peer, []).append(value)

    def pair(self, key: str, peer: str, value: float, base: float) -> None:
        """``peer``'s figure and the base's, measured side by side in one round."""
        self.add(key, peer, value)
        if base > 0:
            self.ratios.setdefault(key, {}).setdefault(peer, []).append(value / base)

    def mark(self, key: str, peer: str, why: str) -> None:
        """``peer`` has no figure on row ``key``; ``why`` is printed under the table."""
        self.missing.setdefault(key, {})[peer] = why

    def median(self, key: str, peer: str) -> float | None:
        found = self.values.get(key, {}).get(peer)
        if not found:
            return None
        return statistics.median(found) * self._row(key).scale

    def ratio(self, key: str, peer: str) -> float | None:
        """The median of the per-round ratios, or 1.0 for the base itself."""
        if peer == BASE:
            return 1.0 if self.values.get(key, {}).get(peer) else None
        found = self.ratios.get(key, {}).get(peer)
        return statistics.median(found) if found else None

    def spread(self, key: str, peer: str) -> tuple[float, float] | None:
        """The lowest and highest per-round ratio."""
        found = self.ratios.get(key, {}).get(peer)
        return (min(found), max(found)) if found else None

    def _row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)

    # ------------------------------------------------------------------ rendering

    def columns(self) -> list[str]:
        ratio_peers = [peer for peer in self.peers if peer != BASE]
        return [f"{BASE} (abs)", f"{SUBJECT} (abs)", *ratio_peers]

    def cells(self) -> list[list[str]]:
        """Header and body as text cells."""
        header = ["benchmark", "better", *self.columns()]
        body = []
        for row in self.rows:
            line = [row.label, row.better, self._absolute(row, BASE), self._absolute(row, SUBJECT)]
            line += [self._cell(row, peer) for peer in self.peers if peer != BASE]
            body.append(line)
        return [header, *body]

    def _absent(self, row: Row, peer: str) -> str:
        return "n/a" if peer in self.missing.get(row.key, {}) else "-"

    def _absolute(self, row: Row, peer: str) -> str:
        value = self.median(row.key, peer)
        return self._absent(row, peer) if value is None else row.render(value)

    def _cell(self, row: Row, peer: str) -> str:
        ratio, spread = self.ratio(row.key, peer), self.spread(row.key, peer)
        if ratio is None or spread is None:
            return self._absent(row, peer)
        if len(self.ratios[row.key][peer]) == 1:
            return f"{ratio:.2f}x"
        return f"{ratio:.2f}x ({spread[0]:.2f}-{spread[1]:.2f})"

    def footnotes(self) -> list[str]:
        lines = [
            f"N.NNx (lo-hi) = the client's figure / {BASE}'s, measured side by side in each "
            "round: the median over rounds, and the lowest and highest round. 'better' says "
            f"which way is better: on a 'lower' row a ratio below 1.00x beats {BASE}, on a "
            "'higher' row a ratio above 1.00x does. The (abs) columns are medians, for context.",
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
        align = ["---", ":---:", *("---:" for _ in cells[0][2:])]
        lines = ["| " + " | ".join(cells[0]) + " |", "| " + " | ".join(align) + " |"]
        lines += ["| " + " | ".join(line) + " |" for line in cells[1:]]
        notes = [f"- {note}" for note in self.footnotes()]
        return "\n".join([*lines, "", *notes]) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "base": BASE,
            "peers": self.peers,
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "better": row.better,
                    "median": {peer: self.median(row.key, peer) for peer in self.peers},
                    "ratio": {peer: self.ratio(row.key, peer) for peer in self.peers},
                    "spread": {peer: self.spread(row.key, peer) for peer in self.peers},
                    "rounds": self.ratios.get(row.key, {}),
                    "values": self.values.get(row.key, {}),
                    "missing": self.missing.get(row.key, {}),
                }
                for row in self.rows
            ],
            "notes": self.notes,
        }


def rows(list_items: int, concurrency: Sequence[int], waiter: Sequence[Row]) -> list[Row]:
    """Every row of the table, in order."""
    busiest = max(concurrency)
    return [
        Row("startup", "1. import + client creation, fresh process (ms)", "lower", scale=1e3),
        Row("startup_cpu", "1. import + client creation, CPU time (ms)", "lower", scale=1e3),
        Row("first_call", "1. first call after creating the client (ms)", "lower", _one, 1e3),
        Row("cpu_call", "2. client CPU per GetEnvironment, c=1 (us)", "lower"),
        Row(f"cpu_call_{busiest}", f"2. client CPU per GetEnvironment, c={busiest} (us)", "lower"),
        Row(
            "cpu_item",
            f"2. client CPU per listed item, {list_items:,} environments (us)",
            "lower",
            _one,
        ),
        *(
            Row(f"canned_rate_{c}", f"3. throughput, canned server, c={c} (calls/s)", "higher")
            for c in concurrency
        ),
        *(
            Row(f"emulator_rate_{c}", f"4. throughput, emulator, c={c} (calls/s)", "higher")
            for c in concurrency
        ),
        *waiter,
        Row("rollout_rate", "6. rollout: instances updated per second", "higher", _two),
        Row("rollout_calls", "6. rollout: API calls per instance", "lower", _two),
    ]
