"""The layer rules: the import-linter contracts catch a wrong import, and no venue name leaks.

The contracts live in pyproject.toml ``[tool.importlinter]``; ``make lint`` runs them on the tree.
These tests check that they can fail: a copy of the package with one wrong import added must
break the contract that forbids it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from letrade_cli.venues import registry

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "letrade_cli"
PYPROJECT = ROOT / "pyproject.toml"

pytest.importorskip("importlinter")

# lint-imports, from this interpreter (the console script may not be on PATH).
LINT_IMPORTS = "import sys, importlinter.cli as cli; sys.exit(cli.lint_imports_command())"


def contracts() -> dict[str, dict]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package copy under ``root``, with the repository's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", "pyproject.toml", "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def status(output: str, contract_id: str) -> str:
    """KEPT or BROKEN: the summary line of one contract in lint-imports' output."""
    name = contracts()[contract_id]["name"]
    match = re.search(rf"^{re.escape(name)} (KEPT|BROKEN)", output, re.MULTILINE)
    assert match, f"contract {name!r} not in the lint-imports output:\n{output}"
    return match.group(1)


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("architecture")
    shutil.copytree(PACKAGE, root / "letrade_cli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, root / "pyproject.toml")
    return root


@pytest.fixture(scope="module")
def baseline(copy_root: Path) -> str:
    """lint-imports' output on the unmodified copy."""
    result = lint_imports(copy_root)
    assert "Analyzed" in result.stdout, result.stdout + result.stderr
    return result.stdout


# Contracts the tree itself still breaks: sim/server.py imports the venues' sim modules, bench/
# imports letrade_cli.venues.binance. Remove an id here once `make lint` keeps it.
BROKEN_ON_THE_TREE = {"layers", "venue-packages"}

# (module file, the wrong import appended to it, the contract it breaks, the violation line)
WRONG_IMPORTS = [
    (
        "core/tick.py",
        "import letrade_cli.venues.registry",
        "core",
        "letrade_cli.core is not allowed to import letrade_cli.venues",
    ),
    (
        "trading/risk.py",
        "import typer",
        "typer",
        "letrade_cli.trading is not allowed to import typer",
    ),
    (
        "config/loader.py",
        "import letrade_cli.venues.upbit.auth",
        "venue-packages",
        "letrade_cli.config is not allowed to import letrade_cli.venues.upbit",
    ),
    (
        "connector/stats.py",
        "import letrade_cli.trading.ledger",
        "layers",
        "letrade_cli.connector is not allowed to import letrade_cli.trading",
    ),
    (
        "serverless/local/package.py",
        "import letrade_cli.serverless.deploy.all",
        "serverless",
        "letrade_cli.serverless.local is not allowed to import letrade_cli.serverless.deploy",
    ),
    (
        "functions/scanner.py",
        "import letrade_cli.core.errors",
        "functions",
        "letrade_cli.functions is not allowed to import letrade_cli.core",
    ),
]


@pytest.mark.parametrize(
    ("path", "line", "contract_id", "violation"),
    WRONG_IMPORTS,
    ids=[case[2] for case in WRONG_IMPORTS],
)
def test_a_wrong_import_breaks_its_contract(
    copy_root: Path, baseline: str, path: str, line: str, contract_id: str, violation: str
) -> None:
    if contract_id not in BROKEN_ON_THE_TREE:
        assert status(baseline, contract_id) == "KEPT", baseline
    assert violation not in baseline
    module = copy_root / "letrade_cli" / path
    original = module.read_text()
    module.write_text(f"{original}\n{line}  # deliberately wrong (tests/test_architecture.py)\n")
    try:
        result = lint_imports(copy_root)
    finally:
        module.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert status(result.stdout, contract_id) == "BROKEN", result.stdout
    assert violation in result.stdout, result.stdout


def test_every_venue_package_is_in_the_contracts() -> None:
    """A new venue package in registry.BUILTIN goes into both contracts that list them."""
    known = contracts()
    builtin = set(registry.BUILTIN)
    assert set(known["venue-packages"]["forbidden_modules"]) == builtin
    layers = [
        {module.strip() for module in layer.split("|")} for layer in known["layers"]["layers"]
    ]
    assert builtin in layers, "the venue packages should form one independent layer"


# Names of the embedded venue ("sim") are not a venue's name: every venue's embedded exchange.
def venue_names() -> list[str]:
    names = set()
    for venue in registry.venues().values():
        names.add(venue.name)
        names.update(spec.name for spec in venue.specs if not spec.embedded)
    return sorted(names)


@pytest.mark.xfail(strict=False, reason="names still being removed")
def test_no_venue_name_outside_venues() -> None:
    """Venue names are written in venues/ only.

    functions/ is left out: the Lambda handlers ship alone (stdlib + boto3) and cannot read the
    registry, so they name the venues they collect from.
    """
    pattern = re.compile("|".join(rf"\b{re.escape(name)}" for name in venue_names()), re.I)
    skipped = (PACKAGE / "venues", PACKAGE / "functions")
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(path.is_relative_to(folder) for folder in skipped):
            continue
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(text):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert not hits, f"{len(hits)} venue names outside venues/:\n" + "\n".join(hits)
