"""The house's layers: each folder is one layer, and imports only run downwards.

    doors (app.py, pages/, services/api/, services/tasks/worker.py, services/launcher.py, and every
           `__main__` module: the command lines)
      → services/tasks/ (the queue and its tasks) → services/bootstrap.py (wiring)
      → workflows: services/review/, services/accounts/
      → services/backends/
      → the engine (services/extraction/) and storage (db/)
      → services/core/ → services/domain/

Every import counts, also one inside a function. A door is imported by nothing but itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.core.config import REPO_ROOT

DOMAIN, CORE, ENGINE, STORAGE = "services.domain", "services.core", "services.extraction", "db"
BACKENDS, ACCOUNTS, REVIEW = "services.backends", "services.accounts", "services.review"
WIRING, TASKS = "services.bootstrap", "services.tasks"

# Each layer and the layers below it that it may import (its own modules always).
MAY_IMPORT: dict[str, set[str]] = {
    DOMAIN: set(),
    CORE: {DOMAIN},
    ENGINE: {DOMAIN, CORE},
    STORAGE: {DOMAIN},  # storage is handed its settings, never reads them
    BACKENDS: {DOMAIN, CORE, ENGINE},
    ACCOUNTS: {DOMAIN, CORE, STORAGE},
    REVIEW: {DOMAIN, CORE, STORAGE, BACKENDS},
    WIRING: {DOMAIN, CORE, STORAGE, ENGINE, BACKENDS, ACCOUNTS, REVIEW},
    TASKS: {DOMAIN, CORE, STORAGE, ENGINE, BACKENDS, ACCOUNTS, REVIEW, WIRING},
}
# Each door (module prefix -> the door it is part of).
DOOR_OF = {
    "app": "the review app", "pages": "the review app", "services.api": "the HTTP API",
    "services.tasks.worker": "the worker command", "services.launcher": "make run",
}
DOORS = tuple(DOOR_OF)
# Third-party packages that belong to one layer only.
ONLY_IN = {
    "streamlit": ("app", "pages"),
    "fastapi": ("services.api",),
    "starlette": ("services.api", "pages._web"),  # the app's own session routes beside Streamlit's
    "uvicorn": ("services.api",),
    "tesserocr": (ENGINE,),
    "sqlalchemy": (STORAGE, ACCOUNTS, REVIEW, WIRING, TASKS) + DOORS,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    paths = [REPO_ROOT / "app.py"]
    for folder in ("services", "db", "pages"):
        paths += sorted((REPO_ROOT / folder).rglob("*.py"))
    return {_module_name(p): p for p in paths}


MODULES = project_modules()


def imports_of(path: Path, module: str) -> set[str]:
    """Every module named by an import statement anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def is_door(module: str) -> bool:
    return module.split(".")[-1] == "__main__" or any(module == d or module.startswith(d + ".") for d in DOORS)


def layer_of(module: str) -> str:
    matches = [layer for layer in MAY_IMPORT if module == layer or module.startswith(layer + ".")]
    assert matches, f"{module} belongs to no layer: add its folder to MAY_IMPORT in this test"
    return max(matches, key=len)


def door_unit(module: str) -> str:
    """The door a module is part of (a `__main__` module is a door of its own)."""
    for prefix, door in DOOR_OF.items():
        if module == prefix or module.startswith(prefix + "."):
            return door
    return module


def violation(module: str, target: str) -> str:
    """Why `module` may not import `target`, or "" when it may."""
    door = is_door(module)
    if is_door(target):
        return "" if door and door_unit(target) == door_unit(module) else f"{module} imports the door {target}"
    if door:
        return ""
    source_layer, target_layer = layer_of(module), layer_of(target)
    if source_layer != target_layer and target_layer not in MAY_IMPORT[source_layer]:
        return f"{module} ({source_layer}) imports {target} ({target_layer})"
    return ""


def upward_imports() -> list[str]:
    problems: list[str] = []
    for module, path in MODULES.items():
        for target in imports_of(path, module):
            if target in MODULES:
                problems.append(violation(module, target))
    return sorted(p for p in problems if p)


def misplaced_packages() -> list[str]:
    problems: list[str] = []
    for module, path in MODULES.items():
        for target in imports_of(path, module):
            top = target.split(".")[0]
            allowed = ONLY_IN.get(top)
            if allowed is not None and not any(module == a or module.startswith(a + ".") for a in allowed) \
                    and not module.endswith("__main__"):
                problems.append(f"{module} imports {top}")
    return sorted(problems)


def test_the_layers_form_an_order_without_cycles() -> None:
    placed: list[str] = []
    remaining = dict(MAY_IMPORT)
    while remaining:
        ready = [layer for layer, below in remaining.items() if below <= set(placed)]
        assert ready, f"these layers may import each other in a cycle: {sorted(remaining)}"
        placed += ready
        for layer in ready:
            del remaining[layer]


def test_every_module_of_services_and_db_belongs_to_a_layer_or_is_a_door() -> None:
    for module in MODULES:
        if not is_door(module) and module not in ("services", "pages"):
            layer_of(module)


def test_no_module_imports_a_layer_above_its_own_or_a_door() -> None:
    assert upward_imports() == []


def test_frameworks_stay_in_their_layer_streamlit_only_in_the_pages() -> None:
    assert misplaced_packages() == []


@pytest.mark.parametrize("source, target", [
    ("services.domain.schema", "db.models"),
    ("db.session", "services.core.config"),
    ("services.review.intake", "services.api.app"),
    ("services.extraction.engine", "services.review.workflow"),
])
def test_the_check_catches_an_upward_import(tmp_path: Path, source: str, target: str) -> None:
    """The walk above is no check that cannot fail: the same rules refuse a planted import."""
    path = tmp_path / "planted.py"
    path.write_text(f"def later():\n    import {target}\n", encoding="utf-8")
    assert target in imports_of(path, source)
    assert violation(source, target)
