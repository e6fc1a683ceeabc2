"""Per-screen parts of the ONE string catalogue (``ui.i18n.CATALOGUE``).

Each module here defines ``STRINGS = {key: {"zh": ..., "en": ...}}`` for one area of the app
(so screens can be added without editing one long file). ``ui.i18n`` merges them all into
``CATALOGUE`` at import and refuses duplicate keys.
"""
from __future__ import annotations

import importlib
import pkgutil


def parts() -> list[tuple[str, dict[str, dict[str, str]]]]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        out.append((info.name, mod.STRINGS))
    return out
