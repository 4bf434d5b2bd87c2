"""The draw's published algorithm name and the commitment to its seed: standard library only.

`shared.entries` commits to a day's seed with it before the day's first entry; the draw
(`functions/prizedraw/algorithm.py`) and the public verifier check the commitment with the very
same function. The site's own checker (`site/js/drawcheck.js`) spells both out again in
JavaScript: it cannot import Python.
"""

from __future__ import annotations

import hashlib

ALGORITHM = "sha256-mod-v1"


def commitment(seed: bytes) -> str:
    """`sha256(seed)`, hex: public before the day's first entry, never changed."""
    return hashlib.sha256(seed).hexdigest()
