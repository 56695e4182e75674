"""The orientation benchmark's figures: turned reads against the upright ones, by turn."""

from __future__ import annotations

import io

from bench.orientation import TurnRead, summarise


def read(turn: int, upright, right: int, condition: str = "scan", error: str = "") -> TurnRead:
    return TurnRead(card_id="c1", side="back", condition=condition, turn=turn, upright=upright,
                    side_right=upright is not None, right=right, fields=10, seconds=1.0, error=error)


def test_the_summary_counts_turned_reads_upright_and_the_accuracy_they_lose() -> None:
    reads = [read(0, True, 8), read(90, True, 8), read(180, False, 1), read(270, None, 0, error="error 1: x")]
    out = io.StringIO()
    summary = summarise(reads, out=out)
    assert summary["turned"] == "3"
    assert summary["upright_turned"] == "0.3333"
    assert summary["errors"] == "1"
    assert summary["acc_upright"] == "0.800" and summary["acc_turned"] == "0.300"
    assert summary["gap_points"] == "-50.0"
    text = out.getvalue()
    assert "turned 180: read the wrong way up; 1 of 10 right" in text
    assert "turned 270: error 1: x" in text
