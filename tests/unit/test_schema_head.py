"""``SCHEMA_HEAD`` lets a database at head skip Alembic entirely, so it must name the newest
migration: if someone adds a revision and forgets the constant, this fails."""

from __future__ import annotations

import itertools

from alembic.config import Config
from alembic.script import ScriptDirectory

from movies_api.db.schema import MIGRATIONS, SCHEMA_HEAD


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config)


def test_schema_head_is_the_single_head_of_the_migration_scripts() -> None:
    scripts = _scripts()
    assert scripts.get_heads() == [SCHEMA_HEAD]
    assert scripts.get_current_head() == SCHEMA_HEAD


def test_migration_history_is_one_unbroken_line_down_to_the_base() -> None:
    revisions = list(_scripts().walk_revisions())
    assert revisions[0].revision == SCHEMA_HEAD
    assert revisions[-1].down_revision is None
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision
