"""Decoding the recogniser's posteriors (services.extraction.ctc) within a field's grammar
(services.extraction.grammars): on posteriors built by hand, where the right answer is known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.extraction import ctc
from services.extraction.charset import ALPHABET, BLANK, CLASSES, INDEX, covered, normalise
from services.extraction.grammars import grammar_for


def spelled(text: str, *, noise: dict[int, dict[str, float]] | None = None) -> np.ndarray:
    """Posteriors that spell `text`, a character every other frame, blanks between; `noise`
    puts some of a frame's probability on other characters."""
    frames = 2 * len(text) + 1
    probs = np.full((frames, CLASSES), 1e-6)
    probs[:, BLANK] = 1.0
    for i, ch in enumerate(text):
        row = probs[2 * i + 1]
        row[BLANK] = 1e-6
        row[INDEX[ch]] = 1.0
        for other, share in (noise or {}).get(i, {}).items():
            row[INDEX[other]] = share
            row[INDEX[ch]] -= share
    probs /= probs.sum(axis=1, keepdims=True)
    return np.log(probs)


def test_greedy_spells_what_the_posteriors_spell_with_each_characters_probability_and_margin() -> None:
    logp = spelled("HÀ NỘI", noise={1: {"A": 0.3}})
    emissions = ctc.greedy(logp)
    assert "".join(e.char for e in emissions) == "HÀ NỘI"
    second = emissions[1]
    assert second.prob == pytest.approx(0.7, abs=1e-3)
    assert second.margin == pytest.approx(0.4, abs=1e-3)
    assert second.alternatives[0][0] == "A"


def test_a_whitelist_lets_only_its_characters_compete() -> None:
    # The model leans to "O", but a date has digits only: the "0" it also saw wins.
    logp = spelled("2O19", noise={1: {"0": 0.4}})
    assert "".join(e.char for e in ctc.greedy(logp)) == "2O19"
    assert "".join(e.char for e in ctc.greedy(logp, "0123456789")) == "2019"


def test_score_is_the_ctc_probability_summed_over_every_path() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, CLASSES))
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    alphabet = [BLANK, INDEX["a"], INDEX["b"]]
    for text in ("a", "ab", "aa", "aba"):
        target = [INDEX[ch] for ch in text]
        total = -np.inf
        for path in itertools.product(alphabet, repeat=5):
            collapsed = [c for k, c in enumerate(path) if c != BLANK and (k == 0 or c != path[k - 1])]
            if collapsed == target:
                total = np.logaddexp(total, sum(logp[t, c] for t, c in enumerate(path)))
        assert ctc.score(logp, text) == pytest.approx(total, abs=1e-9)


def test_the_lexicon_entry_the_posteriors_like_best_is_chosen() -> None:
    logp = spelled("HONDA", noise={1: {"0": 0.45}})
    assert ctc.best_of(logp, ["HYUNDAI", "HONDA", "HINO"])[0] == "HONDA"


def test_the_plate_grammar_takes_the_likeliest_text_that_is_a_plate() -> None:
    # Read freely, "30A-l23.45" (a lower-case l for the 1) is no plate; within the grammar the
    # runner-up "1" is taken.
    logp = spelled("30A-l23.45", noise={4: {"1": 0.4}})
    grammar = grammar_for("plate")
    assert "".join(e.char for e in ctc.greedy(logp)) == "30A-l23.45"
    found = ctc.beam(logp, grammar.accepts_prefix, grammar.complete)
    assert found is not None and found[0] == "30A-123.45"


def test_a_plate_grammar_for_a_province_takes_only_its_prefixes() -> None:
    # "61F4" printed, the 6 read a little more like a 5; Bình Dương (GSO 74) registers 61 only.
    logp = spelled("51F4-061.44", noise={0: {"6": 0.4}})
    free, local = grammar_for("plate"), grammar_for("plate", "74")
    assert ctc.beam(logp, free.accepts_prefix, free.complete)[0] == "51F4-061.44"
    found = ctc.beam(logp, local.accepts_prefix, local.complete)
    assert found is not None and found[0] == "61F4-061.44"
    assert grammar_for("plate", "no such code") == free


def test_nothing_is_returned_when_no_text_of_the_grammar_fits() -> None:
    grammar = grammar_for("first_issue_date")
    assert ctc.beam(spelled("HONDA"), grammar.accepts_prefix, grammar.complete) is None


def test_a_forced_alignment_places_each_character_where_the_posteriors_have_it() -> None:
    emissions = ctc.align_text(spelled("59X2-328.98"), "59X2-328.98")
    assert [e.start for e in emissions] == [2 * i + 1 for i in range(11)]
    assert all(e.prob > 0.99 for e in emissions)


@pytest.mark.parametrize("text, plate, date", [
    ("30A-123.45", True, False), ("59X2-328.98", True, False), ("14N-5985", True, False),
    ("51F-12345", True, False), ("30A-12.345", False, False), ("22/05/1996", False, True),
    ("5/06/2012", False, True), ("2012/06/05", False, False),
])
def test_the_grammars_hold_the_forms_the_cards_print_and_no_others(text: str, plate: bool, date: bool) -> None:
    assert grammar_for("plate").complete(text) is plate
    assert grammar_for("first_issue_date").complete(text) is date
    if plate:  # and every beginning of a plate is a beginning the beam may follow
        assert all(grammar_for("plate").accepts_prefix(text[:n]) for n in range(len(text)))


def test_the_alphabet_holds_every_vietnamese_letter_in_both_cases_and_the_cards_punctuation() -> None:
    for text in ("NGUYỄN THỊ ĐƯỜNG", "Số máy (Engine N°)", "Phường Láng Hạ, Quận Đống Đa", "6.750 KG", "3,75 m"):
        assert covered(normalise(text)), text
    assert len(set(ALPHABET)) == len(ALPHABET)
    assert normalise("Ngõ  5 – Hà Nội") == "Ngõ 5 - Hà Nội"
