"""The benchmark in its smoke form: a small room, nothing lost or duplicated, every figure present."""

import json

import pytest

from app.bench.runner import FIELDS
from app.cli import main


def test_bench_smoke_run_loses_and_duplicates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # CPU is read in 10 ms clock ticks: with 30 phones the baseline's window sometimes spanned none, leaving no
    # ratio; 100 phones give it several ticks
    main(["bench", "--phones", "100", "--rate", "20", "--seconds", "1", "--rounds", "2", "--json"])

    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["phones"] == 100
    assert figures["join_failures"] == 0
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["burst_errors"] == figures["sustained_errors"] == 0
    assert figures["burst_not_on_projector"] == 0
    assert figures["step_missed"] == 0
    for name in FIELDS:
        assert isinstance(figures[name], int | float), name
        assert figures[name] >= 0, name
    assert figures["server_rss_mb"] > 0
    # two bursts and two step changes per server, each with its own CPU figure
    assert len(figures["server_cpu_us_per_delivery_rounds"]) == len(figures["baseline_cpu_us_per_delivery_rounds"]) == 2
    assert figures["server_deliveries"] == figures["baseline_deliveries"] == 2 * (2 * 100 + 100 + 1)
    assert figures["answers_per_s"] > 0


@pytest.mark.parametrize("rounds", ["0", "-1", "drie"])
def test_bench_refuses_a_round_count_below_one(rounds: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["bench", "--rounds", rounds])
    assert stopped.value.code == 2
    assert f"expected a whole number of at least 1, got {rounds!r}" in capsys.readouterr().err
