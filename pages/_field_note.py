"""What sits beside a field's input on the review screen, as one HTML block: its flag with the
confidence, why it needs a look (in words), the value the engine read when a reviewer changed it,
and its crop.

One block instead of a badge, two texts and a picture: each element is a message Streamlit sends
and the browser applies on every run, and a review page has some thirty rows (bench/review_ui.py).
Every value in it comes from a document or a user, so every value is HTML-escaped here.
"""

from __future__ import annotations

import html
import math
from typing import Callable, Optional

from services.review.workflow import FLAG_FAILED, FLAG_LOW, FLAG_NOT_APPLICABLE, FLAG_OK, FieldView

# The colours of Streamlit's own red, orange and green badges, so that the rows look as before.
STYLE = """
.vr-note { font-size: .875rem; line-height: 1.35; }
.vr-flag { display: inline-block; border-radius: .5rem; padding: 0 .4rem; font-weight: 400; margin-bottom: .25rem; }
.vr-flag.failed_check { color: #bd4043; background: rgba(255, 43, 43, .1); }
.vr-flag.low_confidence { color: #e2660c; background: rgba(255, 164, 33, .1); }
.vr-flag.ok { color: #158237; background: rgba(33, 195, 84, .1); }
.vr-flag.not_applicable { color: #555; background: rgba(128, 128, 128, .12); }
.vr-why, .vr-original { margin-bottom: .25rem; white-space: pre-wrap; overflow-wrap: anywhere; }
"""
ICONS = {FLAG_FAILED: "\u2716", FLAG_LOW: "\u26a0", FLAG_OK: "\u2714", FLAG_NOT_APPLICABLE: "\u2013"}  # ✖ ⚠ ✔ –
FLAG_LABELS = {FLAG_FAILED: "flag.failed", FLAG_LOW: "flag.low", FLAG_OK: "flag.ok",
               FLAG_NOT_APPLICABLE: "flag.not_applicable"}


def percent(confidence: Optional[float]) -> str:
    # Rounded down: 99.96 % under a 99.99 % threshold must not read "100 %".
    return "" if confidence is None else f" {math.floor(confidence * 100 + 1e-9)}%"


def flag_text(f: FieldView, t: Callable[[str], str]) -> str:
    """The flag as the reviewer reads it: "Low confidence 31%"."""
    flag = f.flag if f.flag in FLAG_LABELS else FLAG_OK
    return t(FLAG_LABELS[flag]) + ("" if flag == FLAG_NOT_APPLICABLE else percent(f.confidence))


def field_note(f: FieldView, *, t: Callable[[str], str], reason: Callable[[str], str],
               crop: Optional[str] = None) -> str:
    """`t` gives a label in the user's language, `reason` a check's reason in words; `crop` is
    the field's picture as `_card_images.crop_html` made it (our own markup, not escaped)."""
    flag = f.flag if f.flag in FLAG_LABELS else FLAG_OK
    parts = [f'<div class="vr-flag {flag}">{ICONS[flag]} {html.escape(flag_text(f, t))}</div>']
    if f.flag == FLAG_FAILED and f.check_reason:
        parts.append(f'<div class="vr-why">{html.escape(reason(f.check_reason))}</div>')
    if f.corrected_value is not None:
        parts.append(f'<div class="vr-original">{html.escape(t("review.original"))}: {html.escape(f.value)}</div>')
    if crop:
        parts.append(crop)
    return '<div class="vr-note">' + "".join(parts) + "</div>"
