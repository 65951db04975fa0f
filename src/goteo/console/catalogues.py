"""The web app's translations: ``locale/<lang>/LC_MESSAGES/django.po`` in the package,
compiled with Babel (no system gettext) into ``GOTEO_DATA_DIR/locale`` when the app loads,
whenever a catalogue is newer than its compiled copy. ``LOCALE_PATHS`` points there."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

SOURCE = Path(__file__).resolve().parent / "locale"


def compiled_dir() -> Path:
    return Path(settings.DATA_DIR) / "locale"


def compile_catalogues(source: Path = SOURCE, target: Path | None = None) -> list[Path]:
    """Compile each stale catalogue; the ``.mo`` files written."""
    target = target or compiled_dir()
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=po.parts[-3])
        mo.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a process reading it never sees half a file.
        fd, name = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(name, mo)
        written.append(mo)
    return written
