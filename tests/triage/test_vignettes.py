"""7. Clinical sanity vignettes from the article (data: vignettes.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.triage.test_coverage import article, norm
from tests.triage.walk import LEVELS, run
from triage.knowledge import Knowledge

VIGNETTES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).with_name("vignettes.yaml")).read_text(
    encoding="utf-8"))["vignettes"]


def oracle(kb: Knowledge, replies: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for q in kb.questions:
        if q.id in replies:
            r = replies[q.id]
            out[q.id] = tuple(r) if isinstance(r, list) else (str(r),)
        elif q.follows:
            out[q.id] = ("yes",)  # a red flag said is new unless the vignette says otherwise
        elif q.type == "choice":
            out[q.id] = (next(o.id for o in q.options if o.none),)
        elif q.type == "yes_no":
            out[q.id] = ("no",)
        else:
            out[q.id] = ("__unset__",)  # a duration question must be answered in the vignette if it is asked
    return out


def test_there_are_enough_vignettes_and_all_dispositions() -> None:
    assert len(VIGNETTES) >= 12
    assert {v["expect"]["disposition"] for v in VIGNETTES} == set(LEVELS)


@pytest.mark.parametrize("v", VIGNETTES, ids=[v["name"] for v in VIGNETTES])
def test_vignette(kb: Knowledge, v: dict[str, Any]) -> None:
    assert norm(v["article"]) in article(), "vignette basis is not a quote of the article"
    unknown = set(v["replies"]) - set(kb.questions_by_id)
    assert not unknown, unknown
    trace = run(kb, oracle(kb, v["replies"]), {0: v.get("volunteer", [])})
    res = trace.result
    exp = v["expect"]
    assert res.disposition == exp["disposition"], res
    if "category" in exp:
        assert res.evidence and res.categories[0].id == exp["category"], [c.id for c in res.categories]
    if "cause" in exp:
        assert res.categories[0].causes[0] == exp["cause"], res.categories[0]
    if "reason" in exp:
        words = " ".join(kb.findings[f].reason for f in res.categories[0].reasons)
        assert exp["reason"] in words, words
    if "max_questions" in exp:
        assert len(trace.asked) <= exp["max_questions"]
    if "watch_first" in exp:
        assert res.watch_list[0] == exp["watch_first"]
    # the urgent reasons explain any disposition above the default, in plain words
    if res.level > LEVELS["routine"] and not res.unknown_red_flags:
        assert res.urgent_reasons and all(kb.findings[f].floor == res.disposition for f in res.urgent_reasons)
