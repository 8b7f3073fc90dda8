"""Rounds pair every client with a base run right next to it, and rows report paired ratios."""

from __future__ import annotations

import pytest

from benchmarks._config import BASE, PEERS
from benchmarks._table import Row, Table
from benchmarks.run import schedule


@pytest.mark.parametrize("round_", range(4))
def test_every_client_runs_right_next_to_a_base_run(round_: int) -> None:
    groups = schedule(PEERS, round_)
    order = [peer for group in groups for peer in group]
    assert sorted(peer for peer in order if peer != BASE) == sorted(p for p in PEERS if p != BASE)
    for group in groups:
        assert BASE in group and len(group) <= 3
        base = group.index(BASE)
        assert all(abs(index - base) == 1 for index, peer in enumerate(group) if peer != BASE)


def test_each_client_alternates_before_and_after_its_base() -> None:
    def before(round_: int) -> set[str]:
        found = set()
        for group in schedule(PEERS, round_):
            found |= set(group[: group.index(BASE)])
        return found

    clients = {peer for peer in PEERS if peer != BASE}
    assert before(0) | before(1) == clients
    assert not before(0) & before(1)
    assert before(2) == before(0)


def test_a_row_reports_the_median_of_paired_ratios_not_of_best_samples() -> None:
    table = Table([Row("calls", "1. calls per instance", "lower")], ["aioproton", BASE])
    # Round by round: (aioproton, base). Each client's best sample alone (10 and 10)
    # would say 1.00x; the rounds say aioproton makes 1.29x, 1.30x, 1.20x the calls.
    for ours, theirs in [(12.9, 10.0), (10.0, 7.7), (13.2, 11.0)]:
        table.add("calls", BASE, theirs)
        table.pair("calls", "aioproton", ours, theirs)
    ratio, spread = table.ratio("calls", "aioproton"), table.spread("calls", "aioproton")
    assert ratio == pytest.approx(1.29)
    assert spread is not None
    assert spread[0] == pytest.approx(1.2)
    assert spread[1] == pytest.approx(10.0 / 7.7)
    assert table.median("calls", "aioproton") == pytest.approx(12.9)
    assert table.ratio("calls", BASE) == 1.0
    line = next(line for line in table.text().splitlines() if line.startswith("1. calls"))
    assert "1.29x (1.20-1.30)" in line


def test_a_client_without_a_figure_says_why() -> None:
    table = Table([Row("rate", "6. rollout rate", "higher")], ["aioproton", BASE, "boto3"])
    table.add("rate", BASE, 2.0)
    table.pair("rate", "aioproton", 3.0, 2.0)
    table.mark("rate", "boto3", "not compared")
    assert table.cells()[1][-1] == "n/a"
    assert "n/a in row 6 for boto3: not compared" in table.text()
    assert table.to_json()["rows"][0]["ratio"] == {"aioproton": 1.5, BASE: 1.0, "boto3": None}
