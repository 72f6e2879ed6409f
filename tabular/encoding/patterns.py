"""Values generated, not modelled: keys in the training values' pattern, format-preserving fakes, and
a keyed hash set that keeps training values out of the output.

- :class:`KeyPattern` learns the character layout of key strings (``13011352CF10A``: per layout,
  the characters seen at each position) and draws new, unique keys in it.
- :class:`FakeText` learns the *shapes* of personal data or free text — every letter replaced by
  its class (upper / lower case, vowel / consonant), every digit by a digit class, punctuation and
  spaces kept — and fills shapes with random characters of the same class: ``"Ann-Marie O'Neil"``
  becomes something like ``"Eko-Vuzir A'Mepa"``, ``"(555) 301-2247"`` ``"(803) 972-1150"``. The
  domain of an e-mail address is kept when many addresses share it (``gmail.com``), else faked too.
  No letter or digit of a training value is stored.
- :class:`ValueHashes` keeps keyed 64-bit BLAKE2b digests of the training values (not the
  values), so generated values equal to a training value are drawn again.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter

import numpy as np

from genlab.errors import ConditionError

VOWELS = "aeiou"
CONSONANTS = "bcdfghjklmnpqrstvwxyz"
DIGITS = "0123456789"
#: Class symbols of a shape and the characters each is filled with.
CLASSES = {"v": VOWELS, "c": CONSONANTS, "V": VOWELS.upper(), "C": CONSONANTS.upper(), "9": DIGITS}
#: Most shapes kept per column.
MAX_SHAPES = 2000
#: An e-mail domain is kept as it is when at least this many distinct addresses share it.
COMMON_DOMAIN = 5


def shape_of(text: str) -> str:
    """``"Ann 42"`` -> ``"Vcc 99"``: letters by case and vowel / consonant, digits as ``9``, the rest kept."""
    out = []
    for ch in text:
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            vowel = ch.lower() in VOWELS
            out.append(("V" if vowel else "C") if ch.isupper() else ("v" if vowel else "c"))
        else:
            out.append(ch)
    return "".join(out)


def fill_shapes(shapes: list[str], rng: np.random.Generator) -> list[str]:
    """Each shape with its class symbols replaced by random characters of the class."""
    out = []
    for shape in shapes:
        draws = rng.random(len(shape))
        out.append("".join(CLASSES[ch][int(u * len(CLASSES[ch]))] if ch in CLASSES else ch
                           for ch, u in zip(shape, draws)))
    return out


class ValueHashes:
    """Keyed digests of a set of strings, to test membership without keeping the strings.

    Values are compared case-folded and stripped (``" Ann@X.org"`` equals ``"ann@x.org"``).
    """

    def __init__(self, key: bytes, digests: np.ndarray):
        self.key, self.digests = key, np.sort(np.asarray(digests, np.uint64))

    @classmethod
    def of(cls, values, rng: np.random.Generator) -> "ValueHashes":
        key = rng.bytes(16)
        return cls(key, cls._digest(key, values))

    @staticmethod
    def _digest(key: bytes, values) -> np.ndarray:
        return np.asarray([int.from_bytes(hashlib.blake2b(str(v).strip().casefold().encode(), digest_size=8,
                                                          key=key).digest(), "little") for v in values], np.uint64)

    def contains(self, values) -> np.ndarray:
        """Boolean array: which values are in the set."""
        digests = self._digest(self.key, values)
        if len(self.digests) == 0:
            return np.zeros(len(digests), bool)
        index = np.minimum(np.searchsorted(self.digests, digests), len(self.digests) - 1)
        return self.digests[index] == digests

    def get_state(self) -> dict:
        return {"key": self.key.hex(), "digests": base64.b64encode(self.digests.astype("<u8").tobytes()).decode()}

    @classmethod
    def from_state(cls, state: dict) -> "ValueHashes":
        return cls(bytes.fromhex(state["key"]), np.frombuffer(base64.b64decode(state["digests"]), "<u8"))


def _unique_new(draw, n: int, hashes: ValueHashes, what: str, unique: bool = True, rounds: int = 60) -> list[str]:
    """``n`` values from ``draw(k) -> list[str]``, none in ``hashes`` (and no repeats when ``unique``)."""
    out, seen = [], set()
    for _ in range(rounds):
        need = n - len(out)
        if need <= 0:
            break
        candidates = draw(int(need * 1.2) + 8)
        fresh = ~hashes.contains(candidates)
        for value, ok in zip(candidates, fresh):
            if ok and (not unique or value not in seen):
                seen.add(value)
                out.append(value)
    if len(out) < n:
        raise ConditionError(f"could not generate {n} new {what} values outside the training values (got "
                             f"{len(out)}); the pattern leaves too little room: sample fewer rows or declare the "
                             "column another kind")
    return out[:n]


class KeyPattern:
    """The layouts of key strings, learned run by run.

    A layout is the sequence of character classes (digit ``9``, upper ``U``, lower ``l``) with any
    other character kept as it is, e.g. ``99999999UU99U``; layouts covering 99.9 % of the values
    are kept (at most 50) with their shares. Each layout is cut into runs of one class; a run with
    at most :data:`TOKENS` distinct values, each seen five times on average (a year ``13`` / ``14``,
    a degree ``CF`` / ``MM``), is drawn whole, by frequency, the others character by character from the characters seen at each
    position — so new keys look like the training keys without being any of them.
    """

    def __init__(self, layouts: list[dict]):
        self.layouts = layouts

    @staticmethod
    def _layout(value: str) -> str:
        return "".join("9" if c.isdigit() else "U" if c.isupper() else "l" if c.islower() else c for c in value)

    @staticmethod
    def _runs(layout: str) -> list[tuple[int, int]]:
        """``(start, stop)`` of each run of one class symbol."""
        runs, start = [], 0
        for i in range(1, len(layout) + 1):
            if i == len(layout) or layout[i] != layout[start] or layout[start] not in "9Ul":
                runs.append((start, i))
                start = i
        return runs

    @classmethod
    def learn(cls, values) -> "KeyPattern":
        groups: dict[str, list[str]] = {}
        for v in values:
            groups.setdefault(cls._layout(v), []).append(v)
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        total, covered, layouts = sum(len(v) for v in groups.values()), 0, []
        for layout, members in ranked[:50]:
            runs = []
            for a, b in cls._runs(layout):
                seen = Counter(m[a:b] for m in members)
                if len(seen) <= TOKENS and len(seen) * 5 <= len(members):  # repeated tokens, not key parts
                    runs.append({"symbol": layout[a], "tokens": sorted(seen), "counts": [seen[t] for t in sorted(seen)]})
                else:
                    runs.append({"symbol": layout[a], "chars": ["".join(sorted(set(m[i] for m in members)))
                                                                 for i in range(a, b)]})
            layouts.append({"layout": layout, "share": len(members) / total, "runs": runs})
            covered += len(members)
            if covered >= 0.999 * total:
                break
        return cls(layouts)

    def describe(self) -> str:
        return self.layouts[0]["layout"] + (f" (+{len(self.layouts) - 1} layouts)" if len(self.layouts) > 1 else "")

    def _draw(self, k: int, rng: np.random.Generator, wide: bool) -> list[str]:
        shares = np.asarray([lay["share"] for lay in self.layouts])
        which = rng.choice(len(self.layouts), k, p=shares / shares.sum())
        out = []
        for j, lay in enumerate(self.layouts):
            m = int((which == j).sum())
            if not m:
                continue
            pieces = []
            for run in lay["runs"]:
                if "tokens" in run and not (wide and len(run["tokens"]) > 1 and run["symbol"] in _CLASS_CHARS):
                    counts = np.asarray(run["counts"], float)
                    pieces.append(np.asarray(run["tokens"], dtype=object)[rng.choice(len(counts), m,
                                                                                      p=counts / counts.sum())])
                    continue
                width = len(run["chars"]) if "chars" in run else len(run["tokens"][0])
                for i in range(width):
                    chars = run["chars"][i] if "chars" in run else "".join(sorted({t[i] for t in run["tokens"]}))
                    if wide and len(chars) > 1:  # the whole class when the seen characters leave too little room
                        chars = _CLASS_CHARS.get(run["symbol"], chars)
                    pieces.append(np.asarray(list(chars), dtype=object)[rng.integers(len(chars), size=m)])
            out += ["".join(row) for row in zip(*pieces)] if pieces else [""] * m
        order = rng.permutation(len(out))
        return [out[i] for i in order]

    def generate(self, n: int, rng: np.random.Generator, hashes: ValueHashes) -> list[str]:
        """``n`` unique keys in the learned layouts, none of them a training key."""
        try:
            return _unique_new(lambda k: self._draw(k, rng, False), n, hashes, "key", rounds=8)
        except ConditionError:
            return _unique_new(lambda k: self._draw(k, rng, True), n, hashes, "key")

    def get_state(self) -> dict:
        return {"layouts": self.layouts}

    @classmethod
    def from_state(cls, state: dict) -> "KeyPattern":
        return cls(state["layouts"])


#: A run of a key layout with at most this many distinct values is drawn as a whole token.
TOKENS = 50
_CLASS_CHARS = {"9": DIGITS, "U": VOWELS.upper() + CONSONANTS.upper(), "l": VOWELS + CONSONANTS}


EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+)$")


class FakeText:
    """Shapes of the training values (with their counts), filled with random characters when sampling."""

    def __init__(self, shapes: list[list]):
        self.shapes = shapes  # [[shape, literal suffix, count], ...]

    @classmethod
    def learn(cls, values, rng: np.random.Generator, email: bool = False) -> "FakeText":
        values = [str(v) for v in values]
        domains = Counter()
        if email:
            domains = Counter(m.group(1).lower() for m in map(EMAIL.match, set(values)) if m)
        if len(values) > 5 * MAX_SHAPES:
            values = [values[i] for i in rng.choice(len(values), 5 * MAX_SHAPES, replace=False)]
        counts = Counter()
        for v in values:
            m = EMAIL.match(v) if email else None
            if m and domains[m.group(1).lower()] >= COMMON_DOMAIN:
                local = v[:m.start(1)]
                counts[(shape_of(local), m.group(1).lower())] += 1
            else:
                counts[(shape_of(v), "")] += 1
        return cls([[s, suffix, c] for (s, suffix), c in counts.most_common(MAX_SHAPES)])

    def describe(self) -> str:
        return f"{len(self.shapes)} shapes, e.g. {self.shapes[0][0] + self.shapes[0][1]!r}"

    def generate(self, n: int, rng: np.random.Generator, hashes: ValueHashes) -> list[str]:
        """``n`` fakes (repeats allowed), none equal to a training value."""
        counts = np.asarray([c for _, _, c in self.shapes], float)

        def draw(k):
            picks = rng.choice(len(self.shapes), k, p=counts / counts.sum())
            filled = fill_shapes([self.shapes[i][0] for i in picks], rng)
            return [f + self.shapes[i][1] for f, i in zip(filled, picks)]

        return _unique_new(draw, n, hashes, "fake", unique=False)

    def get_state(self) -> dict:
        return {"shapes": self.shapes}

    @classmethod
    def from_state(cls, state: dict) -> "FakeText":
        return cls([list(s) for s in state["shapes"]])
