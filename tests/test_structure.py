"""The structure rules that a reviewer would otherwise have to remember (docs/architecture.md): modules and
functions stay small, domains split into sub-packages rather than ``service_*.py`` siblings, and no
configuration travels in ``session.info``. The layer order itself is import-linter's contract (`make lint`)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_no_module_is_past_450_lines() -> None:
    long = {str(p.relative_to(APP)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_past_60_lines() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(APP)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_domains_split_into_sub_packages_not_prefixed_siblings() -> None:
    assert [str(p.relative_to(APP)) for p in _modules() if p.name.startswith("service_")] == []


def test_no_configuration_travels_in_the_session() -> None:
    assert [str(p.relative_to(APP)) for p in _modules() if "session.info" in p.read_text()] == []
