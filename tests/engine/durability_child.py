"""The child process of test_durability: records through a store until killed.

Run as ``python -m tests.engine.durability_child KIND DIRECTORY`` from the
repository root. After each recording completes it prints the number of
recordings completed so far, flushed, so that the parent knows exactly what
must have survived a SIGKILL.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from pathlib import Path

from interposition import Broker, InteractionRequest, ResponseChunk

from .helpers import new_store


def exchange(number: int) -> tuple[InteractionRequest, tuple[ResponseChunk, ...]]:
    """The request and response of recording ``number``: binary, text, sizable."""
    digest = hashlib.sha256(str(number).encode()).digest()
    request = InteractionRequest(
        protocol="durability",
        action="record",
        target=f"item/{number}",
        headers=(("n", str(number)), ("ünïcødé", "✓")),
        body=digest * (1 + number % 64),  # 32 bytes to 2 KiB of binary
    )
    chunks = (
        ResponseChunk(data=f"réponse {number} ".encode() * 50, sequence=0),
        ResponseChunk(data=bytes(reversed(digest)) * 40, sequence=1),
    )
    return request, chunks


def main() -> None:
    kind, directory = sys.argv[1], Path(sys.argv[2])
    store = new_store(kind, directory, create_if_missing=True)
    responses: dict[str, tuple[ResponseChunk, ...]] = {}

    def live(request: InteractionRequest) -> tuple[ResponseChunk, ...]:
        return responses.pop(request.target)

    broker = Broker.from_store(store, mode="record", live_responder=live)
    done = len(broker.cassette.interactions)
    for number in itertools.count(done):
        request, chunks = exchange(number)
        responses[request.target] = chunks
        for _ in broker.replay(request):
            pass
        print(number + 1, flush=True)


if __name__ == "__main__":
    main()
