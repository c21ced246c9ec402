"""Verification of generated answers, on crafted model outputs (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answers.prompts import PromptError, load_prompts
from assistant.answers.verification import split_sentences, verify

PASSAGES = {
    1: "In December 2023, AstraZeneca acquired Gracell Biotechnologies for $1.2 billion.",
    2: "As of April 2024, there are 37 U.S. FDA-approved cell and gene therapy products, with "
       "2023 being a record year with seven such treatments receiving FDA approval.",
}


def test_supported_sentences_are_kept_and_markers_renumbered():
    v = verify("The FDA approved 7 therapies in 2023 [2]. AstraZeneca paid $1.2 billion [1].",
               PASSAGES)
    assert v.unsupported == []
    assert v.answer == "The FDA approved 7 therapies in 2023 [1]. AstraZeneca paid $1.2 billion [2]."
    assert v.cited == [2, 1]


def test_a_wrong_number_is_removed_with_the_reason():
    v = verify("AstraZeneca paid $1.5 billion for Gracell [1]. It closed in December 2023 [1].",
               PASSAGES)
    assert v.answer == "It closed in December 2023 [1]."
    [bad] = v.unsupported
    assert "1.5" in bad.reason and "does not appear" in bad.reason


def test_a_number_from_another_passage_does_not_count():
    v = verify("AstraZeneca paid $1.2 billion for 37 products [1].", PASSAGES)
    assert v.kept == 0 and "“37”" in v.unsupported[0].reason


def test_a_marker_to_a_passage_not_given_is_removed():
    v = verify("Gracell was bought by AstraZeneca [3].", PASSAGES)
    assert v.kept == 0
    assert v.unsupported[0].reason == "cites [3], which was not among the 2 passages given"


def test_a_sentence_without_a_marker_is_removed():
    v = verify("AstraZeneca bought Gracell. The price was $1.2 billion [1].", PASSAGES)
    assert v.answer == "The price was $1.2 billion [1]."
    assert v.unsupported[0].reason == "cites no passage"


def test_markers_before_or_after_the_full_stop_and_number_words():
    v = verify("2023 was a record year with seven approvals. [2] Gracell cost $1.2 billion [1, 2].",
               PASSAGES)
    assert v.answer == "2023 was a record year with seven approvals [1]. Gracell cost $1.2 billion [1][2]."


def test_sentence_splitting_keeps_abbreviations():
    assert split_sentences("The U.S. FDA approved it [1]. Then Inc. grew [2].") == [
        "The U.S. FDA approved it [1].", "Then Inc. grew [2]."]


def test_prompts_load_and_bad_variables_are_named(tmp_path):
    prompts = load_prompts()
    assert set(prompts.answer.input_variables) == {"passages", "question"}
    folder = tmp_path / "prompts"
    folder.mkdir()
    for f in Path(__file__).resolve().parent.parent.joinpath("prompts").glob("*.md"):
        (folder / f.name).write_text(f.read_text())
    (folder / "answer.md").write_text("Passages: {passages}\nQuestion: {quest}\n")
    with pytest.raises(PromptError, match=r"missing \['question'\].*unknown \['quest'\]"):
        load_prompts(folder)
    (folder / "answer.md").unlink()
    with pytest.raises(PromptError, match="answer.md is missing"):
        load_prompts(folder)


def test_a_sentence_citing_the_wrong_passage_is_removed():
    v = verify("AstraZeneca bought Gracell Biotechnologies [2].", PASSAGES)
    assert v.kept == 0 and "does not say this" in v.unsupported[0].reason


def test_markers_written_before_the_sentence():
    v = verify("[1] AstraZeneca acquired Gracell for $1.2 billion. [2] 2023 was a record year.",
               PASSAGES)
    assert v.answer == "AstraZeneca acquired Gracell for $1.2 billion [1]. 2023 was a record year [2]."
