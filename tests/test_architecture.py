"""Dependencies point one way (DESIGN §2): a test keeps them that way.

networks and governance use the core; sessions uses networks; evaluation may
use all of them. Nothing imports evaluation except the top layer; networks
never imports sessions; governance imports neither sessions nor networks; the
core's bottom (its models) imports no app.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {"alliances", "networks", "sessions", "governance", "evaluation"}

# Modules of the core's top layer: they gather every app and may import any of them.
TOP_LAYER = {
    "alliances/urls.py",
    "alliances/settings.py",
    "alliances/portal.py",
    "alliances/views_portal.py",
    "alliances/account_urls.py",
    "alliances/accounts.py",
    "alliances/document_urls.py",
    "alliances/document_views.py",
    "alliances/privacy.py",
    "alliances/privacy_urls.py",
}
TOP_LAYER_DIRS = ("alliances/management/",)

FORBIDDEN = {
    "networks": {"sessions", "governance", "evaluation"},
    "governance": {"sessions", "networks", "evaluation"},
    "sessions": {"governance", "evaluation"},
    "alliances": {"networks", "sessions", "governance", "evaluation"},
    "evaluation": set(),
}


def imported_apps(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


def app_modules():
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            if relative in TOP_LAYER or relative.startswith(TOP_LAYER_DIRS):
                continue
            yield app, relative, path


@pytest.mark.parametrize(
    ("app", "relative", "path"), list(app_modules()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_imports_follow_the_layering(app, relative, path):
    wrong = imported_apps(path) & FORBIDDEN[app]
    assert not wrong, f"{relative} imports {sorted(wrong)}, against the layering of DESIGN §2"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from sessions.models import Session\nimport evaluation.models\n", encoding="utf-8")
    assert imported_apps(module) == {"sessions", "evaluation"}
