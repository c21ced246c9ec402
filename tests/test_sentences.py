"""Sentence boundaries of the stored spans (ingest/chunking.py): an abbreviation's full stop does
not end a sentence, so an answer never quotes half a sentence ("...population of Ae. [1]")."""

from __future__ import annotations

import pytest

from ingest.chunking import sentence_spans


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize("text, expected", [
    # a genus abbreviation: the next word is in lower case
    ("A decline in the population of Ae. aegypti followed the spraying. Cases fell.",
     ["A decline in the population of Ae. aegypti followed the spraying.", "Cases fell."]),
    # scientific abbreviations followed by a name, a number or a lower-case word
    ("Smith et al. reported 31 patients in Fig. 2 of the study. The approx. cost was $5 million.",
     ["Smith et al. reported 31 patients in Fig. 2 of the study.", "The approx. cost was $5 million."]),
    ("Plant No. 3 makes the drug substance. It opened in 2021.",
     ["Plant No. 3 makes the drug substance.", "It opened in 2021."]),
    # spaCy's own exceptions still hold, and real boundaries still split
    ("The U.S. FDA approved it. Pfizer Inc. said so.",
     ["The U.S. FDA approved it.", "Pfizer Inc. said so."]),
    ("Revenue from the contract manufacturing unit rose 12% in the third quarter. Margins fell "
     "because of the new plant in Ireland. What comes next is a decision on the second site?",
     ["Revenue from the contract manufacturing unit rose 12% in the third quarter.",
      "Margins fell because of the new plant in Ireland.",
      "What comes next is a decision on the second site?"]),
])
def test_abbreviations_do_not_end_sentences(text, expected):
    assert _sentences(text) == expected


def test_lower_case_after_a_line_break_is_not_joined_across_the_line():
    text = ("The partners agreed on an upfront payment of $40 million for the licence.\n"
            "milestones of up to $300 million follow if the product is approved in Europe.")
    assert all("\n" not in s for s in _sentences(text))
