"""Decoy references: a wrong answer of the same type as the reference, made by rule.

A judge that calls an answer correct against the reference *and* against a decoy has not judged
it (a content-free answer, or a judge that says "correct" to everything): ``judge_reference`` with
``decoy: true`` then marks the sample verifier-failed. The decoy must be plainly another answer of
the same kind, so that a judge able to tell answers apart says "wrong" to a genuine right answer
compared with it:

- a number (``84``, ``-3``, ``1,234``, ``2.50``, ``3/4``, ``15%``): another number in the same
  notation (``84`` -> ``91``; the decimals and the thousands separator kept);
- a choice letter (``B``, ``(C)``) or a yes/no word (``True``, ``yes``): another letter, the
  opposite word;
- an expression with digits (``2\\sqrt{3}``, ``x^2 + 1``): one of its integers changed;
  without digits (``x + y``): one variable letter changed;
- words (``Paris``, ``George Washington``, ``photosynthesis``): its longest word replaced by an
  entity of the same shape (capitalised or not) from a fixed list; other scripts: the characters
  reversed, or an entity from a list when that changes nothing.

The same reference and seed always give the same decoy (so its judge call is cached).

>>> decoy_reference("84"), decoy_reference("2.50"), decoy_reference("Paris")
('97', '5.53', 'Amazon')
>>> decoy_reference("84", seed=1) != decoy_reference("84")
True
"""

from __future__ import annotations

import hashlib
import random
import re

PROPER = (
    "Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Ottawa", "Cairo", "Dublin", "Madrid", "Tokyo",
    "Einstein", "Newton", "Darwin", "Curie", "Lincoln", "Napoleon", "Jupiter", "Amazon", "Danube",
)  # fmt: skip
"""Capitalised decoys: places, people, names."""
COMMON = (
    "osmosis", "granite", "violin", "carbon", "glacier", "sparrow", "triangle", "copper",
    "velocity", "mitosis", "lantern", "nitrogen", "harbor", "quartz", "thunder", "meadow",
)  # fmt: skip
"""Lower-case decoys: things, substances, processes."""
OTHER_SCRIPT = ("北京", "东京", "首尔", "河内", "莫斯科", "开罗")
OPPOSITE = {"yes": "no", "no": "yes", "true": "false", "false": "true"}

_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(%?)$")
_FRACTION = re.compile(r"^([+-]?)(\d+)\s*/\s*(\d+)$")
_CHOICE = re.compile(r"^(\(?)([A-J])(\)?\.?)$")
_INT = re.compile(r"\d+")
_WORD = re.compile(r"[A-Za-z]{3,}")
_VARIABLE = re.compile(r"(?<![A-Za-z\\])[a-z](?![A-Za-z])")
DELTAS = (1, 2, 3, 5, 7, 9, 11, 13)


def decoy_reference(reference: str, seed: int = 0) -> str:
    """A wrong answer of the same type as ``reference``, the same for the same seed."""
    ref = reference.strip()
    digest = hashlib.sha256(f"{seed}\0{ref}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    for _ in range(8):  # a rule may land on the reference itself: draw again
        decoy = _decoy(ref, rng)
        if decoy.strip().casefold() != ref.casefold():
            return decoy
    return ref + " (no)"


def _decoy(ref: str, rng: random.Random) -> str:
    if m := _NUMBER.match(ref):
        return _number(m, rng)
    if m := _FRACTION.match(ref):
        sign, num, den = m.groups()
        return f"{sign}{int(num) + rng.choice(DELTAS)}/{den}"
    if m := _CHOICE.match(ref):
        letters = [c for c in "ABCDE" if c != m.group(2)]
        return f"{m.group(1)}{rng.choice(letters)}{m.group(3)}"
    if ref.casefold() in OPPOSITE:
        word = OPPOSITE[ref.casefold()]
        return word.capitalize() if ref[:1].isupper() else word
    if _INT.search(ref):
        ints = list(_INT.finditer(ref))
        pick = rng.choice(ints)
        changed = str(int(pick.group()) + rng.choice(DELTAS))
        return ref[: pick.start()] + changed + ref[pick.end() :]
    if _WORD.search(ref):
        word = max(_WORD.findall(ref), key=len)
        pool = PROPER if word[0].isupper() else COMMON
        return ref.replace(
            word, rng.choice([w for w in pool if w.casefold() != word.casefold()]), 1
        )
    if _VARIABLE.search(ref):
        names = sorted({m.group() for m in _VARIABLE.finditer(ref)})
        old = rng.choice(names)
        new = rng.choice([c for c in "abcdkmnpqrstuvwxyz" if c not in names])
        return _VARIABLE.sub(lambda m: new if m.group() == old else m.group(), ref)
    flipped = ref[::-1]
    return flipped if flipped != ref else rng.choice(OTHER_SCRIPT)


def _number(m: re.Match[str], rng: random.Random) -> str:
    sign, whole, decimals, percent = m.groups()
    delta = rng.choice(DELTAS)
    if decimals:  # change the last decimal places and the whole part: plainly another number
        places = len(decimals)
        units = int(whole.replace(",", "") + decimals) + delta * (10**places + 1)
        text = f"{units / 10**places:,.{places}f}"
    else:
        text = f"{int(whole.replace(',', '')) + delta:,}"
    if "," not in whole:
        text = text.replace(",", "")
    return f"{sign}{text}{percent}"
