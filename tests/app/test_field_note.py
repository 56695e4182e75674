"""The block beside each field's input on the review screen: its flag in words with the
confidence, the reason a check failed, the engine's value once corrected, every value escaped."""

from __future__ import annotations

from dataclasses import replace

from pages._field_note import field_note, flag_text
from pages._i18n import label
from services.review.workflow import FieldView


def t(key: str) -> str:
    return label(key, "en")


def reason(text: str) -> str:
    return f"in words: {text}"


def field(**changes: object) -> FieldView:
    base = FieldView(id=1, side="back", name="plate", value="51F-123.45", corrected_value=None, confidence=0.9,
                     threshold=0.8, status="extracted", check_ok=True, check_reason="", box=None, note="",
                     derived=False)
    return replace(base, **changes)


def test_a_fine_field_says_fine_with_its_confidence_rounded_down() -> None:
    note = field_note(field(confidence=0.9996), t=t, reason=reason)
    assert "Fine 99%" in note
    assert "Original" not in note


def test_a_low_confidence_field_says_so() -> None:
    assert flag_text(field(confidence=0.31), t) == "Low confidence 31%"


def test_a_failed_check_says_why_in_words_and_escapes_the_reason() -> None:
    note = field_note(field(check_ok=False, check_reason="<b>not</b> a plate"), t=t, reason=reason)
    assert "Failed check" in note
    assert "in words: &lt;b&gt;not&lt;/b&gt; a plate" in note
    assert "<b>" not in note


def test_a_corrected_field_shows_the_engines_value_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    note = field_note(field(value=evil, corrected_value="51F-123.45"), t=t, reason=reason)
    assert "Original: &lt;img src=x onerror=alert(1)&gt;" in note
    assert "<img" not in note


def test_a_field_the_kind_does_not_carry_says_not_applicable_without_a_confidence() -> None:
    assert flag_text(field(applies=False, confidence=0.84), t) == "Not applicable"


def test_the_crop_goes_in_as_given() -> None:
    crop = '<div class="vr-crop"></div>'
    assert field_note(field(), t=t, reason=reason, crop=crop).endswith(crop + "</div>")
