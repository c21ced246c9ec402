"""`python -m eval.spent`: the pooled figures and the changed questions (pure logic on small
records), and that it runs only spent sets."""

from __future__ import annotations

import pytest
import typer

from eval.spent import changed, main, pooled


def _rec(set_, id_, answerable, recall, abstained, category="factoid", answer="x" * 10):
    return {"set": set_, "id": id_, "answerable": answerable, "category": category,
            "fact_recall": recall if answerable else None, "all_facts": recall == 1.0 if answerable else None,
            "abstained": abstained, "answer": answer, "question": f"q{id_}"}


def test_pooled_figures():
    recs = [_rec("a", 1, True, 1.0, False), _rec("a", 2, True, 0.5, True, "list"),
            _rec("b", 3, False, None, True), _rec("b", 4, False, None, False)]
    p = pooled(recs)
    assert p["key_fact_recall"] == 0.75 and p["every_fact"] == 0.5
    assert p["wrong_abstentions"] == 0.5 and p["unanswerable_declined_or_hedged"] == 0.5
    assert p["lists"] == 0.5 and p["questions"] == 4 and p["answerable"] == 2


def test_changed_lists_only_questions_whose_outcome_moved():
    old = [_rec("a", 1, True, 0.5, False), _rec("a", 2, True, 1.0, False), _rec("b", 3, False, None, False)]
    new = [_rec("a", 1, True, 1.0, False), _rec("a", 2, True, 1.0, False, answer="other words"),
           _rec("b", 3, False, None, True)]
    lines = changed(old, new)
    assert len(lines) == 2
    assert lines[0].startswith("a 1 (answerable, factoid): recall 0.50 -> 1.00")
    assert "abstained False -> True" in lines[1]


def test_a_frozen_set_is_refused(tmp_path):
    with pytest.raises(typer.BadParameter, match="not a spent set: heldout23"):
        main(out=tmp_path / "x.json", sets=["heldout23"], compare=None)


@pytest.mark.parametrize("content", ["not json", '{"sets": []}', '[1, 2]'])
def test_a_compare_file_that_is_no_run_is_refused_before_anything_runs(tmp_path, content, monkeypatch):
    from eval import spent
    monkeypatch.setattr(spent, "run_sets", lambda names: pytest.fail("the sets were run"))
    bad = tmp_path / "old.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(typer.BadParameter, match="not a file written by python -m eval.spent"):
        main(out=tmp_path / "x.json", sets=["heldout"], compare=bad)
