"""`.ci/run` stays a valid shell script that ends by running the README's test command.

Twice an edit inserted lines into its header comment and turned the rest of the comment
into a shell command; CI would then fail before running a single test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "run"


def test_ci_script_parses_and_runs_the_readme_test_command() -> None:
    done = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = [line for line in SCRIPT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[0] == "#!/usr/bin/env bash"
    assert lines[1].startswith("#") and lines[2].startswith("#")
    assert lines[-1] == "make test"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test   #" in readme
