"""The import direction of docs/architecture.md, checked on the source tree.

pages → ui / metrics → data_access; inside data_access, ``core`` depends on no other package and
only the command line reaches the demo generator and the interchange files. A module that imports
against these rules fails this test with the file, line and rule named.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERED = ("app.py", "pages", "ui", "metrics", "data_access")
DOMAIN_PACKAGES = {"core", "org", "fieldwork", "programme", "assistance", "analytics", "interchange", "demo",
                   "staffing"}
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "schema.py"}
UI_LIBS = ("streamlit", "altair", "pydeck", "streamlit_authenticator")


def _package_of(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1])
    return ".".join(parts[:-1])


def imports_of(path: Path, root: Path) -> list[tuple[int, list[str]]]:
    """(line, modules) for every import statement in ``path``, relative imports resolved: the module
    named, and for "from a import b" also "a.b" (``from data_access import demo`` names a module)."""
    rel = path.relative_to(root)
    pkg = _package_of(rel)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, [a.name]) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)] if pkg else []
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            out.append((node.lineno, [mod] + [f"{mod}.{a.name}" for a in node.names if a.name != "*"]))
    return out


def _is(mod: str, *prefixes: str) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def broken_rules(top: str, rel: str, mod: str) -> list[str]:
    """The rules a module ``rel`` (under ``top``) breaks by importing ``mod``."""
    out = []
    if top == "data_access":
        if _is(mod, "metrics", "ui", "pages", *UI_LIBS):
            out.append("the data layer imports nothing above it")
        if rel.startswith("data_access/core/") and _is(mod, "data_access") and not _is(mod, "data_access.core"):
            out.append("data_access.core depends on no other package")
        for gated in ("data_access.demo", "data_access.interchange"):
            own = rel.startswith(gated.replace(".", "/") + "/")
            if _is(mod, gated) and not own and rel != "data_access/__main__.py":
                out.append(f"only the command line (data_access/__main__.py) uses {gated}")
    elif top == "metrics" and _is(mod, "ui", "pages", *UI_LIBS):
        out.append("metrics is pure (no Streamlit, no ui, no pages)")
    elif top == "ui" and _is(mod, "pages"):
        out.append("ui never imports a page")
    if top in ("pages", "app.py", "ui", "metrics") and _is(mod, "data_access.demo", "data_access.interchange"):
        out.append("the demo generator and the interchange files are for the command line")
    if top in ("pages", "app.py") and _is(mod, "sqlalchemy", "sqlmodel"):
        out.append("pages hold no SQL (ask a data_access query)")
    return out


def violations(root: Path) -> list[str]:
    """One line per rule broken per import statement: "file:line imports module: rule"."""
    found = []
    files = [root / "app.py"] if (root / "app.py").exists() else []
    for top in LAYERED[1:]:
        files += sorted((root / top).rglob("*.py")) if (root / top).exists() else []
    for path in files:
        rel = path.relative_to(root).as_posix()
        top = rel.split("/")[0]
        if top == "data_access":
            parts = rel.split("/")
            if len(parts) == 2 and parts[1] not in TOP_LEVEL_MODULES:
                found.append(f"{rel}: a data_access module outside a domain package ({sorted(DOMAIN_PACKAGES)})")
            elif len(parts) > 2 and parts[1] not in DOMAIN_PACKAGES:
                found.append(f"{rel}: unknown data_access package {parts[1]!r} (add it to docs/architecture.md "
                             "and this test)")
        for line, mods in imports_of(path, root):
            reported: set[str] = set()
            for mod in mods:
                for rule in broken_rules(top, rel, mod):
                    if rule not in reported:
                        reported.add(rule)
                        found.append(f"{rel}:{line} imports {mod}: {rule}")
    return found


def test_the_tree_follows_the_import_direction():
    assert violations(ROOT) == []


@pytest.mark.parametrize("rel, source, rule", [
    ("data_access/fieldwork/x.py", "from metrics.service import compute_kpis\n", "nothing above it"),
    ("data_access/fieldwork/x.py", "import streamlit as st\n", "nothing above it"),
    ("data_access/core/x.py", "from data_access.org.models import User\n", "no other package"),
    ("data_access/core/x.py", "from ..org import users\n", "no other package"),
    ("data_access/analytics/x.py", "from data_access.demo import city\n", "only the command line"),
    ("data_access/flat.py", "x = 1\n", "outside a domain package"),
    ("metrics/x.py", "import streamlit\n", "metrics is pure"),
    ("metrics/x.py", "from ui.format import pct\n", "metrics is pure"),
    ("ui/x.py", "from pages import overview\n", "never imports a page"),
    ("pages/x.py", "from sqlmodel import select\n", "no SQL"),
    ("pages/x.py", "from data_access.interchange.files import import_dir\n", "for the command line"),
])
def test_a_module_importing_against_the_direction_is_named(tmp_path, rel, source, rule):
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(source)
    found = violations(tmp_path)
    assert len(found) == 1 and rule in found[0] and found[0].startswith(rel), found


def test_allowed_imports_are_not_flagged(tmp_path):
    ok = {
        "pages/x.py": "from data_access.core.db import session_scope\nfrom ui.auth import require\n",
        "ui/x.py": "import streamlit as st\nfrom metrics.service import compute_kpis\n",
        "metrics/x.py": "from data_access.analytics import kpi_queries\n",
        "data_access/__main__.py": "from data_access.demo.city import cli_demo\n",
        "data_access/demo/city.py": "from data_access.demo.names import X\nfrom data_access.core import audit\n",
        "data_access/core/x.py": "from data_access.core.models import Setting\nfrom . import audit\n",
    }
    for rel, src in ok.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(src)
    assert violations(tmp_path) == []
