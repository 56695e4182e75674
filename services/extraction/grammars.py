"""What a field's text may be, as a grammar the CTC beam search can follow character by
character: a few alternative sequences of character classes with repeat counts.

`accepts_prefix(text)` says whether some text of the grammar starts with `text`; `complete`
whether `text` is one. Kept to the forms the cards print (shared/card-formats.md), so that the
beam cannot produce a plate or a date that no card carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from services.domain.reference import plate_codes

DIGIT = "0123456789"
# Plate series letters: no I, J, O, Q, R, W (R only in special series), Đ for MĐ / TĐ.
PLATE_LETTER = "ABCDEFGHKLMNPSTUVXYZĐ"

Token = tuple[str, int, int]  # allowed characters, at least, at most


@dataclass(frozen=True)
class Grammar:
    name: str
    alternatives: tuple[tuple[Token, ...], ...]

    def _states(self, text: str) -> frozenset[tuple[int, int, int]]:
        """(alternative, token, repeats so far) after reading `text`."""
        return _states_after(self, text)

    def accepts_prefix(self, text: str) -> bool:
        return bool(self._states(text))

    def complete(self, text: str) -> bool:
        return any(t == len(self.alternatives[a]) for a, t, _n in _closure(self, self._states(text)))


@lru_cache(maxsize=1 << 16)
def _states_after(grammar: Grammar, text: str) -> frozenset[tuple[int, int, int]]:
    # From the states after all but the last character: the beam asks for every prefix it
    # extends, so each step is worked out once.
    if not text:
        return frozenset((a, 0, 0) for a in range(len(grammar.alternatives)))
    before = _states_after(grammar, text[:-1])
    if not before:
        return before
    ch = text[-1]
    following: set[tuple[int, int, int]] = set()
    for state in _closure(grammar, set(before)):
        a, t, n = state
        tokens = grammar.alternatives[a]
        if t < len(tokens) and ch in tokens[t][0] and n < tokens[t][2]:
            following.add((a, t, n + 1))
    return frozenset(following)


def _closure(grammar: Grammar, states: set[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    """States reachable by leaving tokens that have had their minimum."""
    out, todo = set(states), list(states)
    while todo:
        a, t, n = todo.pop()
        tokens = grammar.alternatives[a]
        if t < len(tokens) and n >= tokens[t][1]:
            nxt = (a, t + 1, 0)
            if nxt not in out:
                out.add(nxt)
                todo.append(nxt)
    return out


def _plate(prefixes: tuple[str, ...] = ()) -> Grammar:
    """The plate's forms; with `prefixes`, only plates that start with one of them."""
    starts: tuple[tuple[Token, ...], ...] = tuple(((p[0], 1, 1), (p[1], 1, 1)) for p in prefixes) or \
        (((DIGIT, 2, 2),),)
    tails: tuple[tuple[Token, ...], ...] = (
        ((DIGIT, 3, 3), (".", 1, 1), (DIGIT, 2, 2)),  # 30A-123.45, 59X2-328.98
        ((DIGIT, 4, 5),),  # 14N-5985, 51F-12345
    )
    series: tuple[Token, ...] = ((PLATE_LETTER, 1, 2), (DIGIT, 0, 1), ("-", 1, 1))
    return Grammar("plate", tuple(start + series + tail for start in starts for tail in tails))


def _date() -> Grammar:
    return Grammar("date", (((DIGIT, 1, 2), ("/", 1, 1), (DIGIT, 1, 2), ("/", 1, 1), (DIGIT, 4, 4)),))


@lru_cache(maxsize=None)
def grammar_for(field_name: str, province: str = "") -> Optional[Grammar]:
    """The field's grammar; a plate's restricted to the prefixes of `province` (GSO code) when
    the registering unit's province is known."""
    if field_name == "plate":
        prefixes = plate_codes.plate_prefixes(province) if province in plate_codes.PROVINCE_PLATE_PREFIXES else ()
        return _plate(tuple(f"{p:02d}" for p in prefixes))
    if field_name == "first_issue_date":
        return _date()
    return None
