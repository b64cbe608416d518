"""Write ``published-0.4.0.json`` with the real, published interposition 0.4.0.

The fixture is a cassette as the published library writes it
(``cassette.model_dump_json(indent=2)``), so that the compatibility test in
``tests/engine/test_compat_published.py`` proves that our engine loads files
written by 0.4.0 unchanged. It is generated once and committed; re-run this
script only to regenerate it.

How to re-run it (from the repository root)::

    mkdir -p /tmp/pubinterp
    .venv/bin/python -m pip download interposition==0.4.0 --no-deps \\
        -d /tmp/pubinterp
    cd /tmp/pubinterp && unzip -o interposition-0.4.0-py3-none-any.whl \\
        'interposition/*' -d src && cd -
    PYTHONPATH=/tmp/pubinterp/src .venv/bin/python \\
        tests/engine/data/make_published_fixture.py

``PYTHONPATH`` puts the published package ahead of ours; the script refuses
to run against anything but interposition 0.4.0 from outside this repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import interposition
from interposition import (
    Broker,
    Cassette,
    Interaction,
    InteractionRequest,
    ResponseChunk,
)

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "published-0.4.0.json"


def check_published() -> None:
    origin = Path(interposition.__file__).resolve()
    repository = HERE.parents[2]
    if interposition.__version__ != "0.4.0" or origin.is_relative_to(repository):
        msg = (
            f"this must run against the published interposition 0.4.0, not "
            f"{interposition.__version__} from {origin}; see the docstring"
        )
        raise SystemExit(msg)


def live(request: InteractionRequest) -> Iterator[ResponseChunk]:
    """A live responder that streams a few chunks per request."""
    if request.target == "sensors/temp/room1":
        for sequence, reading in enumerate((b"24.5", b"24.6", b"24.7")):
            yield ResponseChunk(data=reading, sequence=sequence)
    elif request.protocol == "postgres":
        yield ResponseChunk(data=b'[(42, "Alice")]', sequence=0)
    else:
        yield ResponseChunk(
            data='{"id": 42, "name": "Zoë Ångström ✓ 日本語"}'.encode(),
            sequence=0,
            metadata=(("content-type", "application/json; charset=utf-8"),),
        )
        yield ResponseChunk(data=b"", sequence=1, metadata=(("end", "true"),))


def main() -> None:
    check_published()
    broker = Broker(
        cassette=Cassette(interactions=()), mode="record", live_responder=live
    )
    requests = [
        InteractionRequest(
            protocol="api",
            action="query",
            target="users/42",
            headers=(("accept", "application/json"), ("x-trace", "ünïcødé")),
            body=b"",
        ),
        InteractionRequest(
            protocol="postgres",
            action="SELECT",
            target="users_table",
            headers=(),
            body=b"SELECT id, name FROM users WHERE name = 'J\xc3\xb6rg'",
        ),
        InteractionRequest(
            protocol="mqtt",
            action="subscribe",
            target="sensors/temp/room1",
            headers=(("qos", "1"),),
            body=b"",
        ),
    ]
    for request in requests:
        list(broker.replay(request))
    # One built by hand, with interaction metadata and a JSON body, and a
    # header order that matters to the fingerprint.
    request = InteractionRequest(
        protocol="http",
        action="POST",
        target="https://example.com/api/v1/items?q=caf%C3%A9",
        headers=(("content-type", "application/json"), ("accept", "*/*")),
        body='{"name": "café", "tags": ["a", "b"]}'.encode(),
    )
    handmade = Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=(
            ResponseChunk(data=b'{"created": true}', sequence=0),
            ResponseChunk(data="… done\n".encode(), sequence=1),
        ),
        metadata=(("recorded_at", "2025-01-02T03:04:05+00:00"), ("scenario", "x")),
    )
    cassette = Cassette(interactions=(*broker.cassette.interactions, handmade))
    OUTPUT.write_text(cassette.model_dump_json(indent=2), encoding="utf-8")
    print(f"wrote {len(cassette.interactions)} interactions to {OUTPUT}")


if __name__ == "__main__":
    main()
