"""Fill locale/zh_Hans/LC_MESSAGES/django.po from locale/zh_Hans/glossary.json (msgid -> msgstr, plurals as lists).

`make messages` runs it between makemessages and compilemessages. New msgids go into glossary.json.

Existing non-fuzzy msgstrs in the .po that the glossary lacks are added to the glossary. Entries the glossary does
not cover are listed as MISSING and left untouched (still untranslated/fuzzy), so msgfmt --statistics shows them.
Placeholders (%(name)s, %s, %%, {name}, HTML tags) are checked against the msgid.
"""

import collections
import datetime
import json
import re
import sys
from pathlib import Path

import polib

HERE = Path(__file__).resolve().parent
PO = HERE / "LC_MESSAGES" / "django.po"
GLOSSARY = HERE / "glossary.json"
TOKEN = re.compile(r"%\([^)]+\)[sdif]|%%|%[sdif]|\{[a-z_]+\}|</?[a-z]+[^>]*>")


def tokens(text: str) -> collections.Counter:
    return collections.Counter(TOKEN.findall(text))


def main() -> int:
    glossary = json.loads(GLOSSARY.read_text(encoding="utf-8"))
    po = polib.pofile(str(PO), wrapwidth=79)
    for entry in po:  # keep translations made directly in the .po
        if "fuzzy" in entry.flags or glossary_key(entry) in glossary:
            continue
        if entry.msgid_plural and entry.msgstr_plural.get(0):
            glossary[glossary_key(entry)] = [entry.msgstr_plural[0]]
        elif not entry.msgid_plural and entry.msgstr:
            glossary[glossary_key(entry)] = entry.msgstr
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Language-Team"] = "Chinese (Simplified)"
    po.metadata["Last-Translator"] = "Kameng portal i18n"
    po.metadata["PO-Revision-Date"] = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).strftime(
        "%Y-%m-%d %H:%M+0800"
    )
    missing, bad = [], []
    for entry in po:
        translation = glossary.get(glossary_key(entry))
        if translation is None:
            missing.append(entry)
            continue
        if entry.msgid_plural:
            text = translation[0] if isinstance(translation, list) else translation
            entry.msgstr_plural = {0: text}
            if tokens(text) not in (tokens(entry.msgid), tokens(entry.msgid_plural)):
                bad.append((entry.msgid, text))
        else:
            text = translation if isinstance(translation, str) else translation[0]
            entry.msgstr = text
            if tokens(text) != tokens(entry.msgid):
                bad.append((entry.msgid, text))
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save(str(PO))
    GLOSSARY.write_text(json.dumps(glossary, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for entry in missing:
        where = " ".join(f"{f}:{n}" for f, n in entry.occurrences)
        print(f"MISSING {entry.msgid!r} ({where})")
    for msgid, text in bad:
        print(f"PLACEHOLDER MISMATCH {msgid!r} -> {text!r}")
    print(f"{len(po)} entries, {len(missing)} missing, {len(bad)} placeholder mismatches")
    return 1 if missing or bad else 0


def glossary_key(entry) -> str:
    """The msgid, preceded by its context and gettext's separator (U+0004) when it has one."""
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


if __name__ == "__main__":
    sys.exit(main())
