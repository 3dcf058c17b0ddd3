"""The structure rules that a reviewer would otherwise have to remember (docs/architecture.md): modules and
functions stay small, domains split into sub-packages rather than ``service_*.py`` siblings, no
configuration travels in ``session.info``, and only the state machine writes a status. The layer order itself is import-linter's contract (`make lint`)."""

from __future__ import annotations

import ast
import re
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


# The outbox's delivery status (pending, sent, failed) is the worker's bookkeeping below the domains, not audited.
STATUS_WRITERS = {"statemachine.py", "notifications/service.py"}
STATUS_WRITE = re.compile(r"\.status\s*=(?!=)|setattr\([^)]*[\"']status[\"']|\.values\([^)]*\bstatus\s*=")


def test_only_the_state_machine_writes_a_status() -> None:
    """A status changes through its machine's ``move`` (table, status, audit event); new rows start in a state."""
    writes = [
        f"{path.relative_to(APP)}:{number}"
        for path in _modules()
        if str(path.relative_to(APP)) not in STATUS_WRITERS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if STATUS_WRITE.search(line)
    ]
    assert writes == []
