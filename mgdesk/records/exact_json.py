"""JSON text of documents that hold exact decimals.

Case documents are decoded with parse_float=Decimal, so that an age of
17.99999999999999999999 stays below 18. json.dumps writes no Decimal, and converting one
to a float would change the number, so each is written as its own decimal text.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any


def dumps(value: Any, **options: Any) -> str:
    """json.dumps(value, **options), with every finite Decimal written exactly as its
    decimal text; raises ValueError for a Decimal NaN or infinity, as allow_nan=False does
    for a float."""
    numbers: list[str] = []
    # A placeholder no text in the document can hold by chance: 128 random bits.
    marker = f"mgdesk-decimal-{secrets.token_hex(16)}-"

    def stand_in(item: Any) -> Any:
        if isinstance(item, Decimal):
            if not item.is_finite():
                raise ValueError(f"{item} is not a JSON number")
            numbers.append(str(item))
            return f"{marker}{len(numbers) - 1}"
        if isinstance(item, dict):
            return {key: stand_in(child) for key, child in item.items()}
        if isinstance(item, list | tuple):
            return [stand_in(child) for child in item]
        return item

    text = json.dumps(stand_in(value), **options)
    if not numbers:
        return text
    return re.sub(f'"{marker}([0-9]+)"', lambda m: numbers[int(m.group(1))], text)
