"""Run summary of a 10k-operation job: <= 2x a hand-written GROUP BY of the same numbers, same size as 1k."""

from __future__ import annotations

import json
from decimal import Decimal

from benchmarks.harness import Harness, analyze, main, paired_medians, seed_operations

HAND_SQL = [
    "SELECT SUM(cost), SUM(cost_saved), COUNT(*), SUM(CASE WHEN cache_hit THEN 1 ELSE 0 END), SUM(input_tokens), "
    "SUM(output_tokens) FROM costs_costoperation WHERE job_id = %s",
    "SELECT stage, SUM(cost) FROM costs_costoperation WHERE job_id = %s GROUP BY stage",
    "SELECT provider, SUM(cost) FROM costs_costoperation WHERE job_id = %s GROUP BY provider",
    "SELECT provider, model, SUM(CASE WHEN cache_hit THEN 0 ELSE cost END), SUM(characters) "
    "FROM costs_costoperation WHERE job_id = %s GROUP BY provider, model",
    # The Caching suggestion's saving: every repeated identical call after the first.
    "SELECT SUM(cost) FROM (SELECT cost, ROW_NUMBER() OVER (PARTITION BY stage, provider, model, input_tokens "
    "ORDER BY timestamp, id) AS nth FROM costs_costoperation WHERE job_id = %s AND input_tokens > 0 "
    "AND NOT cache_hit) AS calls WHERE nth > 1",
]


def hand_written(job: str) -> list[list[tuple]]:
    from django.db import connection

    with connection.cursor() as cursor:
        answers = []
        for sql in HAND_SQL:
            cursor.execute(sql, [job])
            answers.append(cursor.fetchall())
        return answers


def _same_numbers(summary: dict, answers: list[list[tuple]]) -> bool:
    from costs.money import money

    total, saved, count, hits, tokens_in, tokens_out = answers[0][0]
    stats = summary["tokenStats"]
    caching = [s["estimatedSavings"] for s in summary["optimizationSuggestions"] if s["category"] == "Caching"]
    repeated = answers[4][0][0]
    return (caching == ([float(money(Decimal(str(repeated))))] if repeated else [])
            and summary["totalCost"] == float(money(total)) and stats["costSavedByCache"] == float(money(saved))
            and stats["operationCount"] == count and stats["cacheHits"] == hits
            and stats["totalTokens"] == tokens_in + tokens_out
            and {k: v["cost"] for k, v in summary["costByStage"].items()}
            == {stage: float(money(Decimal(str(cost)))) for stage, cost in answers[1]}
            and {k: v["cost"] for k, v in summary["costByProvider"].items()}
            == {provider: float(money(Decimal(str(cost)))) for provider, cost in answers[2]})


def run(h: Harness) -> None:
    from costs import selectors

    big, small = h.size("summary_job"), max(1, h.size("summary_job") // 10)
    seed_operations("big", big)
    seed_operations("small", small)
    seed_operations("noise", big)  # other jobs in the ledger
    analyze()
    ours, baseline = paired_medians(lambda: selectors.run_summary(job_id="big"), lambda: hand_written("big"),
                                    h.rounds)
    same = _same_numbers(selectors.run_summary(job_id="big"), hand_written("big"))
    h.report("run_summary_10k_vs_hand_group_by", ours, baseline, most=2.0, rows=big,
             ok=same and ours <= 2.0 * baseline, note="" if same else "the numbers differ from the GROUP BY")
    size_big = len(json.dumps(selectors.run_summary(job_id="big"), default=str))
    size_small = len(json.dumps(selectors.run_summary(job_id="small"), default=str))
    h.report("run_summary_bytes_10k_vs_1k_job", size_big, size_small, most=1.05, rows=big)


if __name__ == "__main__":
    main(run)
