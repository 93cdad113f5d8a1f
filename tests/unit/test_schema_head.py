"""The revisions this release knows are read from the migration scripts' text (so a cold
start never imports Alembic): they must be exactly what Alembic reads from the same folder,
whatever revisions are added, or a rollback would be mistaken for a database behind."""

from __future__ import annotations

import itertools

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from movies_api.db.schema import KNOWN_REVISIONS, MIGRATIONS, SCHEMA_HEAD, _revisions_in, is_known


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config)


def _script(revision: str, down: str | None, *, typed: bool = True) -> str:
    down_text = "None" if down is None else f'"{down}"'
    if typed:
        return f'revision: str = "{revision}"\ndown_revision: str | None = {down_text}\n'
    return f"revision = '{revision}'\ndown_revision = {down_text}\n"


def test_known_revisions_are_alembics_history_oldest_first() -> None:
    alembic_order = [script.revision for script in _scripts().walk_revisions()]
    assert list(KNOWN_REVISIONS) == alembic_order[::-1]


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


def test_revisions_are_ordered_by_their_links_not_by_file_order_or_annotation_style() -> None:
    sources = [
        _script("0003", "0002"),
        _script("0001", None, typed=False),
        _script("0002", "0001"),
    ]
    assert _revisions_in(sources) == ("0001", "0002", "0003")


@pytest.mark.parametrize(
    "sources",
    [
        [_script("0001", None), _script("0002", "0001"), _script("0002b", "0001")],  # a branch
        [_script("0001", None), _script("0003", "0002")],  # a gap
        ["revision = '0001'\n"],  # no down_revision
    ],
    ids=["branch", "gap", "malformed"],
)
def test_a_history_that_is_not_one_line_stops_the_release_at_import(sources: list[str]) -> None:
    with pytest.raises(RuntimeError):
        _revisions_in(sources)


def test_only_revisions_without_a_script_here_count_as_newer() -> None:
    assert is_known(None)
    assert all(is_known(revision) for revision in KNOWN_REVISIONS)
    assert not is_known("9999_from_a_newer_release")
