"""The main job (make demo) runs and replays with the server gone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_records_then_replays_from_the_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = result.stdout
    assert out.count("   live     ") == 6
    assert out.count("   replayed ") == 6
    assert "every recording played: True" in out
    assert "InteractionNotFoundError: No matching interaction" in out
    assert out.rstrip().endswith("Done: record -> replay with the network gone.")
    assert (tmp_path / "demo.json").is_file()
    assert (tmp_path / "demo-http.yaml").is_file()
