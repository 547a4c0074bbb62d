"""Reads the numbers written in a piece of text, exactly and in linear time.

Handles `$`, thousands separators, trailing periods, markdown emphasis, `%`, leading zeros,
decimals, scientific notation (`2.5e3`), `a/b` and `\\frac{a}{b}` fractions and unicode minus
signs. Values are exact `Fraction`s; a number too long to convert cheaply (more than
MAX_EXACT_DIGITS digits written out, `1e999999999` included) becomes a `BigNumber` compared as
text. Nothing is ever evaluated. The rules: docs/verifiers/gsm8k.md.

>>> [str(n.value) for n in find_numbers("It costs $1,800.00, or **-3/4** of 2,400.")]
['1800', '-3/4', '2400']
>>> [str(n.value) for n in find_numbers("2.5e3 and 1.8E-1")]
['2500', '9/50']
>>> find_numbers("\\\\frac{3}{4}")[0].value
Fraction(3, 4)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice

# Longer literals are kept as normalised digit strings: int() of thousands of digits is
# quadratic (and capped by Python at 4300), and no reference is that long.
MAX_EXACT_DIGITS = 400

_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})
# Braces are captured whole and stripped afterwards: `\{\s*([^{}]*?)\s*\}` tried every split of a
# whitespace run between three quantifiers, cubic in its length (`\frac{` + 4,000 spaces: 20 s).
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_FRAC_SHORT = re.compile(r"\\[dt]?frac\s*([0-9])\s*([0-9])")
# Escaped symbols keep the symbol (`\$`, `\%`); spacing commands (`\,`, `\!`, `\ `) vanish,
# so `1\,800` reads as 1800; any other command (`\text`, `\cdot`) becomes a space.
_ESCAPED_SYMBOL = re.compile(r"\\([$%])")
_SPACING = re.compile(r"\\[,!;: ]")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_NOISE = str.maketrans({"{": None, "}": None, "*": " ", "_": " ", "`": " ", "~": " "})

# Bounded prefix (no `\s*` before the digits) keeps the scan linear on hostile whitespace.
# The thousands group is possessive (`++`): all that follows it is optional, so it never gives a
# group back, and a greedy `+` made the engine save ~180 bytes per `,000` (1,000,000,… of 32 MiB: 1.5 GB).
_NUMBER = re.compile(
    r"(?:(?P<neg>-) ?)?(?:\$ ?)?(?=\.?[0-9])"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3}(?![0-9]))++|[0-9]+)?"
    r"(?:\.(?P<frac>[0-9]+))?"
    r"(?:[eE](?P<exp>[+-]?[0-9]++))?"
    r"(?: ?/ ?(?P<den>[0-9]+))?"
)
# Exponents longer than this are never converted to int (int() of a long digit string is quadratic).
MAX_EXPONENT_DIGITS = 18


@dataclass(frozen=True, slots=True)
class BigNumber:
    """A decimal too long for exact arithmetic, kept as its normalised digits."""

    digits: str

    def __str__(self) -> str:
        return self.digits if len(self.digits) <= 40 else f"{self.digits[:20]}…({len(self.digits)} digits)"


# Integers stay `int` (a Fraction costs microseconds to build); int and Fraction compare and hash alike.
Value = int | Fraction | BigNumber


@dataclass(frozen=True, slots=True)
class Number:
    """One number found in text, with its exact value."""

    value: Value
    text: str


def _frac_as_slash(match: re.Match[str]) -> str:
    # str.strip() strips exactly the characters `\s` matches.
    return f" {match.group(1).strip()}/{match.group(2).strip()} "


def normalise_text(text: str) -> str:
    """Rewrite LaTeX, markdown and unicode so that numbers read as plain ASCII."""
    text = text.translate(_MINUS_SIGNS)
    if "\\" in text:
        text = _FRAC.sub(_frac_as_slash, text)
        text = _FRAC_SHORT.sub(r" \1/\2 ", text)
        text = _ESCAPED_SYMBOL.sub(r"\1", text)
        text = _SPACING.sub("", text)
        text = _COMMAND.sub(" ", text)
    return text.translate(_NOISE)


def _decimal(neg: bool, int_part: str, frac_part: str) -> Value:
    int_part = int_part.replace(",", "").lstrip("0")
    frac_part = frac_part.rstrip("0")
    if len(int_part) + len(frac_part) > MAX_EXACT_DIGITS:
        return BigNumber(("-" if neg else "") + (int_part or "0") + ("." + frac_part if frac_part else ""))
    value = Fraction(int(int_part or "0") * 10 ** len(frac_part) + int(frac_part or "0"), 10 ** len(frac_part))
    return -value if neg else value


def _scientific(neg: bool, int_part: str, frac_part: str, exponent: str) -> Value:
    """`mantissa × 10^exponent`, exact while written out it would fit MAX_EXACT_DIGITS digits (as a
    plain decimal would); beyond that a BigNumber holding the canonical `<digits>e<power>`, so that
    `1e999999999` costs what its text costs and equals `10e999999998`, never a value it is not."""
    digits = (int_part.replace(",", "") + frac_part).lstrip("0")
    if not digits:
        return 0  # a zero mantissa is zero, whatever the exponent
    significant = digits.rstrip("0")
    shift = len(digits) - len(significant) - len(frac_part)  # value = significant × 10^(exponent + shift)
    sign = "-" if neg else ""
    exp_neg, magnitude = exponent.startswith("-"), exponent.lstrip("+-").lstrip("0") or "0"
    if len(magnitude) > MAX_EXPONENT_DIGITS:
        return BigNumber(f"{sign}{significant}e{'-' if exp_neg else ''}{magnitude}" + (f"{shift:+d}" if shift else ""))
    power = (-int(magnitude) if exp_neg else int(magnitude)) + shift
    written = len(significant) + power if power >= 0 else max(len(significant), -power)  # digits written out
    if written > MAX_EXACT_DIGITS:
        return BigNumber(f"{sign}{significant}e{power}")
    value = Fraction(int(significant) * 10**power) if power >= 0 else Fraction(int(significant), 10**-power)
    return -value if neg else value


def _parse_match(match: re.Match[str]) -> Number | None:
    int_part, frac_part, den = match.group("int"), match.group("frac"), match.group("den")
    if int_part is None and frac_part is None:
        return None
    neg = match.group("neg") is not None
    exponent = match.group("exp")
    if exponent is None:
        value = _decimal(neg, int_part or "", frac_part or "")
    else:
        value = _scientific(neg, int_part or "", frac_part or "", exponent)
    if den is not None:
        den_value = _decimal(False, den, "")
        if den_value == 0:
            return None  # `3/0` names no number
        if not isinstance(value, BigNumber) and not isinstance(den_value, BigNumber):
            value = Fraction(value) / den_value
            value = value.numerator if value.denominator == 1 else value
        else:
            value = BigNumber(f"{value}/{den_value}")
    return Number(value=value, text=match.group(0).strip())


def find_numbers(text: str, limit: int | None = None) -> list[Number]:
    """All numbers in `text`, in order (the first `limit` of them); text is normalised first.

    Callers that only need to tell one number from several pass `limit=2`: a slot of a million
    numbers then costs one scan, not a million exact values held at once.
    """
    numbers: list[Number] = []
    for match in _NUMBER.finditer(normalise_text(text)):
        if (number := _parse_match(match)) is not None:
            numbers.append(number)
            if limit is not None and len(numbers) >= limit:
                break
    return numbers


def count_numbers(text: str, limit: int | None = None) -> int:
    """How many number-like tokens `find_numbers` would look at (at most `limit`), converting none."""
    return sum(1 for _ in islice(_NUMBER.finditer(normalise_text(text)), limit))


def format_value(value: Value) -> str:
    """Canonical text of a value: `18`, `0.25`, `-3/4`.

    >>> format_value(Fraction(1, 4)), format_value(Fraction(1, 3)), format_value(Fraction(36, 2))
    ('0.25', '1/3', '18')
    """
    if isinstance(value, BigNumber | int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    sign = "-" if value < 0 else ""
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"
