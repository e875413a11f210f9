"""Developer tool: write the next migration by comparing the models with a fresh database.

``python3 dev.py migration "add invoices"`` upgrades a scratch SQLite file to the current
head and lets Alembic write the difference as ``NNNN_add_invoices.py``. Review it before
committing: autogenerate does not see every change (renames, data moves).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from linka.store.migrate import alembic_config, upgrade_to_head


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade_to_head(engine)
        config = alembic_config(engine)
        revisions = list(ScriptDirectory.from_config(config).walk_revisions())
        number = f"{len(revisions) + 1:04d}"
        slug = "_".join(message.lower().split())[:40]
        command.revision(config, message=message, autogenerate=True, rev_id=number)
        generated = Path(config.get_main_option("script_location") or "") / "versions"
        for path in generated.glob(f"{number}_*.py"):
            path.rename(path.with_name(f"{number}_{slug}.py"))
        engine.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
