"""Hide personal data in citizens' texts shown in lists: numbers, e-mail addresses.

    mask("090-1234-5678に電話ください") == "＊＊＊に電話ください"

Phone numbers, postal codes, reference and card numbers are runs of four or more digits
(with separators); e-mail addresses are anything around an @. Names cannot be found reliably:
lists show citizens' texts to staff only.
"""

from __future__ import annotations

import re

HIDDEN = "＊＊＊"
_EMAIL = re.compile(r"[\w.+\-]+[@＠][\w\-]+(?:\.[\w\-]+)+")
_NUMBER = re.compile(r"[0-9０-９](?:[0-9０-９\-‐－ー()（） ]*[0-9０-９]){3,}")


def mask(text: str) -> str:
    return _NUMBER.sub(HIDDEN, _EMAIL.sub(HIDDEN, text))
