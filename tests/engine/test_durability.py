"""A process killed with SIGKILL while recording loses nothing it completed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from interposition import Broker, CassetteRecoveryWarning, Interaction

from .durability_child import exchange
from .helpers import STORES, new_store

REPOSITORY = Path(__file__).parents[2]
ROUNDS = 3


def start_child(kind: str, directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.durability_child", kind, str(directory)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def read_count(child: subprocess.Popen[str]) -> int:
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        assert child.stderr is not None
        pytest.fail(f"the child exited early: {child.stderr.read()}")
    return int(line)


def kill_at_random(child: subprocess.Popen[str], rng: random.Random) -> int:
    """Let the child record a random number of times, SIGKILL it mid-stride,
    and return how many recordings it reported complete."""
    target = rng.randint(1, 25)
    completed = 0
    while completed < target:
        completed = read_count(child)
    time.sleep(rng.uniform(0, 0.02))
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    # Read the rest through the same buffered reader: communicate() would
    # skip lines the reader has already buffered.
    assert child.stdout is not None
    for line in child.stdout.read().split():
        completed = int(line)
    return completed


def expected(count: int) -> list[Interaction]:
    result = []
    for number in range(count):
        request, chunks = exchange(number)
        result.append(
            Interaction(
                request=request,
                fingerprint=request.fingerprint(),
                response_chunks=chunks,
            )
        )
    return result


@pytest.mark.parametrize("kind", sorted(STORES))
def test_sigkill_while_recording_keeps_every_completed_recording(
    kind: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    children = [(n, start_child(kind, tmp_path / str(n))) for n in range(ROUNDS)]
    try:
        for number, child in children:
            completed = kill_at_random(child, rng)
            store = new_store(kind, tmp_path / str(number))
            with warnings.catch_warnings():
                # A recovery warning is fine: the kill may tear the last write.
                warnings.simplefilter("ignore", CassetteRecoveryWarning)
                loaded = store.load().interactions
            context = f"seed={seed} round={number} completed={completed}"
            # Every completed recording is there; at most the one in flight
            # may be there too (written, not yet reported).
            assert completed <= len(loaded) <= completed + 1, context
            assert list(loaded) == expected(len(loaded)), context

            # Recording resumes on the same cassette and leaves a whole file.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CassetteRecoveryWarning)
                resumed = Broker.from_store(
                    new_store(kind, tmp_path / str(number)),
                    mode="record",
                    live_responder=lambda request: exchange(
                        int(request.target.split("/")[1])
                    )[1],
                )
                request, chunks = exchange(len(loaded))
                assert tuple(resumed.replay(request)) == chunks
            reloaded = new_store(kind, tmp_path / str(number)).load()
            assert list(reloaded.interactions) == expected(len(loaded) + 1), context
    finally:
        for _, child in children:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=30)
            for pipe in (child.stdout, child.stderr):
                if pipe is not None:
                    pipe.close()
