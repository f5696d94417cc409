"""How a person's name is written, on every page, e-mail, PDF, API answer and in the admin: one formatter."""

import re

# CJK Unified Ideographs, Extension A and the compatibility block, and Extensions B onwards.
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def full_name(given: str, family: str) -> str:
    """A Chinese name reads family name first, with no space between (张 + 小明 → 张小明); any other name reads
    given name first (Ada + Lovelace → Ada Lovelace). Either part may be empty."""
    given, family = (given or "").strip(), (family or "").strip()
    if _HAN.search(given) or _HAN.search(family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)
