"""Layers stay apart: the core never imports streamlit, pages never import connectors, every connector is registered."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import connectors
from connectors.base import Connector, DirectReader
from ioc.config import ConnectorOptions
from tests.helpers import ROOT

SHARED = {"__init__", "base", "_tabular"}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def offenders(files: list[Path], banned: str) -> dict[str, list[str]]:
    found = {}
    for f in files:
        bad = sorted(n for n in imported(f) if n == banned or n.startswith(banned + "."))
        if bad:
            found[str(f.relative_to(ROOT))] = bad
    return found


def test_the_checker_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def page():\n    import streamlit.components.v1 as c\n    from streamlit import session_state\n")
    assert imported(f) == {"streamlit.components.v1", "streamlit"}


def test_the_core_never_imports_streamlit():
    core = [p for p in (ROOT / "ioc").rglob("*.py") if (ROOT / "ioc" / "ui") not in p.parents]
    assert len(core) >= 12
    assert offenders(core, "streamlit") == {}


def test_pages_never_import_connectors():
    pages = sorted((ROOT / "pages").rglob("*.py"))
    assert offenders(pages, "connectors") == {}


def connector_modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "connectors").glob("*.py") if p.stem not in SHARED)


def test_every_connector_module_is_registered_under_its_name():
    registry = {name: type(conn).__module__ for name, conn in connectors.REGISTRY.items()}
    assert registry == {name: f"connectors.{name}" for name in connector_modules()}
    assert all(conn.kind == name for name, conn in connectors.REGISTRY.items())


@pytest.mark.parametrize("name", connector_modules())
def test_a_connector_has_options_fetch_parse_and_a_docstring(name):
    module = importlib.import_module(f"connectors.{name}")
    assert (module.__doc__ or "").strip(), f"connectors/{name}.py has no docstring"
    conn = connectors.REGISTRY[name]
    assert isinstance(conn, Connector) and conn.summary
    assert issubclass(conn.options_model, ConnectorOptions)
    assert list(inspect.signature(conn.fetch).parameters) == ["src", "opts", "ctx"]
    assert list(inspect.signature(conn.parse).parameters) == ["src", "opts", "payloads"]
    if isinstance(conn, DirectReader):  # a declared capability, with both of its methods
        assert list(inspect.signature(conn.parse_lines).parameters) == ["src", "opts", "payloads", "lines"]


def test_every_ui_text_exists_in_both_languages():
    from ioc import i18n

    assert i18n.keys("vi") == i18n.keys("en")


def test_every_indicator_unit_of_the_default_config_has_an_english_name():
    from ioc import i18n
    from ioc.config import load_config

    cfg = load_config(Path(__file__).resolve().parent.parent / "config.yaml")
    missing = sorted({i.unit for i in cfg.indicators if i.unit and f"unit.{i.unit}" not in i18n.keys("en")})
    assert not missing, f"add these to locales/en.units.yaml and vi.units.yaml: {missing}"


def test_a_number_rounded_to_zero_has_no_minus_sign():
    from ioc import i18n

    assert i18n.num(-0.04, "vi", 1, signed=True) == "0,0" and i18n.pct(-0.04, "vi", 1) == "0,0 %"
    assert i18n.num(-1.26, "vi", 1) == "-1,3" and i18n.num(1234.5, "vi", 1) == "1.234,5"


def test_no_multiselect_offers_streamlits_english_select_all() -> None:
    """Streamlit's multiselect adds a "Select all" option in English whatever the page's language: every
    multiselect of the pages turns it off."""
    import re

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*root.glob("pages/*.py"), *root.glob("ioc/ui/*.py")]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"multiselect[,(]", text):
            call = text[m.start() : m.start() + 600]
            if "select_all=False" not in call:
                offenders.append(f"{path.name}:{text[: m.start()].count(chr(10)) + 1}")
    assert not offenders, offenders
