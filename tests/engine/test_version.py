"""``interposition.__version__``: a plain release number, in step with the changelog."""

import re
from pathlib import Path

import interposition

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_a_plain_release_number() -> None:
    # As the published 0.4.0 reports it: X.Y.Z, no dev/local suffix.
    assert re.fullmatch(r"\d+\.\d+\.\d+", interposition.__version__)


def test_the_changelog_names_this_version_first() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)
    assert first is not None, "CHANGELOG.md has no release heading"
    assert first.group(1) == interposition.__version__
