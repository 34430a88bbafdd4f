"""The tool as users get it: build the wheel and sdist, install the wheel into a fresh venv,
and run the documented commands from an empty directory (no source checkout in sight).

Needs ``LETRADE_WHEELHOUSE``: a directory of dependency wheels (``make test`` fills
``.cache/wheelhouse`` once), so the install runs with ``--no-index`` and never reaches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from letrade_cli import __version__

pytestmark = pytest.mark.install

REPO = Path(__file__).resolve().parents[2]
BUILTINS = ["binance", "binance-testnet", "lambda", "sim", "upbit"]
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build``: the wheel and the sdist, built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    build_log = done.stdout + done.stderr
    assert "Deprecat" not in build_log, "the build prints a deprecation warning"
    return out


@pytest.fixture(scope="module")
def letrade(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The wheel installed into a fresh venv; runs ``letrade ARGS`` from an empty directory."""
    wheelhouse = os.environ.get("LETRADE_WHEELHOUSE")
    if not wheelhouse:
        pytest.skip("LETRADE_WHEELHOUSE is not set: run `make test` (it fills .cache/wheelhouse)")
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (wheel,) = dist.glob("*.whl")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-index", "--find-links", str(REPO / wheelhouse), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    empty = root / "empty"
    home = root / "home"
    empty.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETRADE_", "XDG_", "PYTHON"))}
    env |= {"HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=empty, env=env, capture_output=True, text=True, timeout=timeout
        )

    return run


def test_wheel_and_sdist_carry_the_profiles_and_functions(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    for name in BUILTINS:
        assert f"letrade_cli/profiles/{name}.yaml" in names
    for function in ("data_collector", "scanner", "orchestrator"):
        assert f"letrade_cli/functions/{function}.py" in names
    metadata = zipfile.ZipFile(wheel).read(f"letrade_cli-{__version__}.dist-info/METADATA").decode()
    assert f"Version: {__version__}" in metadata
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Programming Language :: Python :: 3.13" in metadata
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
    assert f"letrade_cli-{__version__}/letrade_cli/profiles/lambda.yaml" in members


def test_version_and_python_dash_m(letrade: Run) -> None:
    done = letrade("letrade", "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"letrade {__version__}")
    module = letrade("python", "-m", "letrade_cli", "--version")
    assert module.stdout.strip() == f"letrade {__version__}"
    where = letrade("python", "-c", "import letrade_cli; print(letrade_cli.__file__)")
    assert "site-packages" in where.stdout, "the installed copy, not the checkout, is imported"


def test_profiles_list_shows_the_builtins(letrade: Run) -> None:
    done = letrade("letrade", "profiles", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["name"] for r in rows] == BUILTINS
    assert all(r["origin"] == "built-in" and "site-packages" in r["path"] for r in rows)
    table = letrade("letrade", "profiles", "list")
    assert "embedded exchange" in table.stdout


def test_stream_from_the_embedded_exchange(letrade: Run) -> None:
    done = letrade("letrade", "stream", "BTCUSDT", "--venue", "sim", "--duration", "2", "--json")
    assert done.returncode == 0, done.stderr
    ticks = [json.loads(line) for line in done.stdout.splitlines()]
    assert ticks, "no ticks in 2 s"
    assert {t["symbol"] for t in ticks} == {"BTCUSDT"}
    assert letrade("letrade", "stream", "--profile", "sim", "--duration", "1", "--json").stdout


def test_lambda_package_finds_the_packaged_sources(letrade: Run, tmp_path: Path) -> None:
    out = tmp_path / "zips"
    done = letrade("letrade", "lambda-package", "data-collector", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["zip"]).parent == out
    assert zipfile.ZipFile(result["zip"]).namelist() == ["data_collector.py"]


def test_bash_completion_from_the_installed_script(letrade: Run) -> None:
    script = (
        "source <(_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION=1 letrade --show-completion bash)\n"
        "COMP_WORDS=(letrade stream --profile binance); COMP_CWORD=3\n"
        "_letrade_completion letrade\n"
        'echo "${COMPREPLY[@]}"\n'
    )
    done = letrade("bash", "-c", script)
    assert done.stdout.split() == ["binance", "binance-testnet"], done.stderr
