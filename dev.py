#!/usr/bin/env python3
"""Set up and run linka from a fresh clone with nothing but Python 3.11+.

    python3 dev.py demo [ARGS]   create .venv, install linka, run `linka demo ARGS`
    python3 dev.py test [ARGS]   install dev tools, run ruff, mypy and pytest ARGS
    python3 dev.py bench [ARGS]  run `linka bench ARGS`
    python3 dev.py linka [ARGS]  run any linka command inside the environment
    python3 dev.py migration MSG generate a migration from the models (developers)

The virtual environment lives in .venv; it is (re)installed whenever pyproject.toml
changes. Only the standard library is used here.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".linka-installed"


def run(*args: str | Path) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_environment() -> None:
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("installing linka and its dependencies into .venv …", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(wanted)


def main(argv: list[str]) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older Python
        sys.exit("linka needs Python 3.11 or newer")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    ensure_environment()
    if command == "demo":
        run(BIN / "linka", "demo", *rest)
    elif command == "bench":
        run(BIN / "linka", "bench", *rest)
    elif command == "linka":
        run(BIN / "linka", *rest)
    elif command == "test":
        run(PYTHON, "-m", "ruff", "check", "src", "tests", "dev.py")
        run(PYTHON, "-m", "ruff", "format", "--check", "src", "tests", "dev.py")
        run(PYTHON, "-m", "mypy")
        run(PYTHON, "-m", "pytest", "-n", "2", *rest)
    elif command == "migration":
        if not rest:
            sys.exit("usage: python3 dev.py migration MESSAGE")
        run(PYTHON, "-m", "linka.store.autogenerate", " ".join(rest))
        versions = ROOT / "src/linka/store/migrations/versions"
        run(PYTHON, "-m", "ruff", "check", "--fix", "--quiet", versions)
        run(PYTHON, "-m", "ruff", "format", "--quiet", versions)
    else:
        sys.exit(f"unknown command {command!r}; see python3 dev.py --help")


if __name__ == "__main__":
    main(sys.argv[1:])
