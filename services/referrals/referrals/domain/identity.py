"""Finnish personal identity codes (henkilötunnus) via python-stdnum.

python-stdnum >= 1.19 knows the 2023 century signs (U-Y for the 1900s, B-F for the 2000s);
temporary codes (individual number 900-999) are valid codes here, as CONTRACT.md requires.
stdnum offers no birth date accessor, so `birth_date_of` reads it from the validated code.
"""
from __future__ import annotations

from datetime import date

from stdnum.exceptions import ValidationError
from stdnum.fi import hetu

_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


class InvalidIdentityCode(ValueError):
    pass


def normalise(code: str) -> str:
    """The canonical form (upper case), or InvalidIdentityCode with a message for the user."""
    try:
        return hetu.validate(code, allow_temporary=True)
    except ValidationError as exc:
        raise InvalidIdentityCode(f"Not a valid Finnish personal identity code ({exc.message})") from exc


def birth_date_of(code: str) -> date:
    """The birth date a *valid* code encodes (DDMMYY + century sign)."""
    return date(_CENTURY[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))
