"""`letrade --help` must stay fast: no aiohttp, websockets, boto3 or exchange code imported."""

import json
import subprocess
import sys

# One list of what `--help` must not load, shared with `letrade bench startup`.
from letrade_cli.bench.startup import HEAVY


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys, json\n"
        "sys.argv = ['letrade', '--help']\n"
        "from letrade_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    loaded = [m for m in modules if m.split(".")[0] in HEAVY or any(m.startswith(h) for h in HEAVY)]
    assert loaded == []
    assert "stream" in done.stdout


def test_every_command_help_is_light() -> None:
    for command in (
        "stream",
        "sim",
        "layer-build",
        "lambda-deploy",
        "lambda-package",
        "lambda-invoke",
    ):
        code = (
            "import sys, json\n"
            f"sys.argv = ['letrade', '{command}', '--help']\n"
            "from letrade_cli.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (command, done.stderr)
        assert "Usage" in done.stdout, command
        modules = json.loads(done.stderr.strip().splitlines()[-1])
        assert not [
            m for m in modules if m.split(".")[0] in ("aiohttp", "boto3", "websockets", "picows")
        ], command
