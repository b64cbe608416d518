"""The main job (make demo): the command, as a user meets it, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from interposition.cli._common import load_cassette
from interposition.http import from_interaction

ROOT = Path(__file__).resolve().parent.parent


def test_demo_records_replays_inspects_serves_and_audits(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = result.stdout
    assert "Traceback" not in result.stderr
    # Recorded, then replayed with the upstream stopped: the same answers.
    assert out.count("   user 1: user 1") == 2
    assert out.count("   report: 3 lines") == 2
    assert out.count("$ interposition run --cassette ") == 2
    assert "3 of 3 interactions" in out
    assert 'GET /users/2 -> 200 {"id": 2, "name": "user 2"}' in out
    assert "no credentials found in 1 cassettes" in result.stderr
    assert out.rstrip().endswith(
        "Done: record -> replay offline -> inspect -> serve -> audit."
    )
    recorded = [
        from_interaction(i) for i in load_cassette(tmp_path / "demo.yaml").interactions
    ]
    assert [request.url.rsplit("/", 1)[-1] for request, _ in recorded] == [
        "1",
        "2",
        "report",
    ]
    assert all(r.header("Authorization") == "Bearer REDACTED" for r, _ in recorded)
