"""UK postcodes: validated and written one way ("SW1A 1AA"), so one school is one key.

The shapes are BS 7666's (outward code A9, A99, AA9, AA99, A9A, AA9A; inward code 9AA) with the
letters each position may hold, plus GIR 0AA (Girobank) and BFPO numbers (forces schools abroad).
"""

from __future__ import annotations

import re

POSTCODE_MESSAGE = "must be a UK postcode, like SW1A 1AA"

_AREA = "[A-PR-UWYZ]"  # never Q, V or X first
_SECOND = "[A-HK-Y]"  # never I, J or Z second
_OUTWARD = (
    f"{_AREA}[0-9]{{1,2}}"
    f"|{_AREA}{_SECOND}[0-9]{{1,2}}"
    f"|{_AREA}[0-9][A-HJKPSTUW]"
    f"|{_AREA}{_SECOND}[0-9][ABEHMNPRVWXY]"
)
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"  # never C, I, K, M, O or V
_POSTCODE = re.compile(f"^(?P<out>{_OUTWARD})(?P<in>{_INWARD})$")
_BFPO = re.compile(r"^BFPO(?P<number>[0-9]{1,4})$")


def normalise_postcode(value: str) -> str:
    """The canonical spelling of a UK postcode (upper case, one space before the inward code);
    ValueError when it is not one. Spaces anywhere are ignored: "sw1a1aa" is "SW1A 1AA"."""
    compact = "".join(value.split()).upper()  # any spacing, a no-break space included
    if not compact.isascii():
        raise ValueError(POSTCODE_MESSAGE)
    if compact == "GIR0AA":
        return "GIR 0AA"
    found = _POSTCODE.match(compact)
    if found:
        return f"{found['out']} {found['in']}"
    forces = _BFPO.match(compact)
    if forces and int(forces["number"]) > 0:
        return f"BFPO {int(forces['number'])}"
    raise ValueError(POSTCODE_MESSAGE)
