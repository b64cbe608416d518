"""Every code example of the published interposition 0.4.0 document, verbatim.

Each test gives the example what it assumes (a request, a cassette, a backend
at a loopback address, a working directory) and then runs the document's code
unchanged. Where an example only builds a generator (``broker.replay`` is
lazy), a second step iterates it, to show the documented error is raised.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from interposition import (
    Broker,
    Cassette,
    Interaction,
    InteractionRequest,
    ResponseChunk,
)

pytest_plugins = ["pytester"]


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        payload = json.dumps(
            {"method": self.command, "path": self.path, "body": body.decode()}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_QUERY = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def request_() -> InteractionRequest:
    return InteractionRequest(
        protocol="api", action="query", target="users/42", headers=(), body=b""
    )


def _cassette_with(request: InteractionRequest, data: bytes) -> Cassette:
    interaction = Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=(ResponseChunk(data=data, sequence=0),),
    )
    return Cassette(interactions=(interaction,))


def test_practical_integration_pytest_recipe(pytester: pytest.Pytester) -> None:
    request = InteractionRequest(
        protocol="http",
        action="GET",
        target="https://users.example/42",
        headers=(),
        body=b"",
    )
    fixtures = pytester.path / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    (fixtures / "my_cassette.json").write_text(
        _cassette_with(request, b"Alice").model_dump_json(indent=2)
    )
    pytester.makepyfile(
        my_app="""
import types, sys
client = types.ModuleType("my_app.client")
def fetch(url):
    raise RuntimeError("the real client must not be called in tests")
client.fetch = fetch
sys.modules["my_app.client"] = client
def get_user_name(user_id):
    return client.fetch(f"https://users.example/{user_id}").decode()
"""
    )
    # The document's recipe, verbatim:
    pytester.makepyfile(
        test_recipe="""
import pytest
from interposition import Broker, Cassette, InteractionRequest
@pytest.fixture
def cassette_broker():
    # Load cassette from a JSON file (or create one programmatically)
    with open("tests/fixtures/my_cassette.json", "rb") as f:
        cassette = Cassette.model_validate_json(f.read())
    return Broker(cassette)
def test_user_service(cassette_broker, monkeypatch):
    # 1. Create your adapter (mocking your actual client)
    def mock_fetch(url):
        request = InteractionRequest(
            protocol="http",
            action="GET",
            target=url,
            headers=(),
            body=b"",
        )
        # Delegate to Interposition
        chunks = list(cassette_broker.replay(request))
        return chunks[0].data
    # 2. Inject the adapter
    monkeypatch.setattr("my_app.client.fetch", mock_fetch)
    # 3. Run your test
    from my_app import get_user_name
    assert get_user_name(42) == "Alice"
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_recipe.py")
    result.assert_outcomes(passed=1)


def test_sql_database_query() -> None:
    request = InteractionRequest(
        protocol="postgres",
        action="SELECT",
        target="users_table",
        headers=(),
        body=b"SELECT id, name FROM users WHERE id = 42",
    )
    # Replay returns: b'[(42, "Alice")]'
    broker = Broker(_cassette_with(request, b'[(42, "Alice")]'))
    assert [c.data for c in broker.replay(request)] == [b'[(42, "Alice")]']


def test_mqtt_pubsub_message() -> None:
    request = InteractionRequest(
        protocol="mqtt",
        action="subscribe",
        target="sensors/temp/room1",
        headers=(("qos", "1"),),
        body=b"",
    )
    # Replay returns stream of messages: b'24.5', b'24.6', ...
    chunks = tuple(
        ResponseChunk(data=d, sequence=i) for i, d in enumerate([b"24.5", b"24.6"])
    )
    interaction = Interaction(
        request=request, fingerprint=request.fingerprint(), response_chunks=chunks
    )
    broker = Broker(Cassette(interactions=(interaction,)))
    assert [c.data for c in broker.replay(request)] == [b"24.5", b"24.6"]


def test_manual_construction_quick_start() -> None:
    from interposition import (
        Broker,
        Cassette,
        Interaction,
        InteractionRequest,
        ResponseChunk,
    )

    # 1. Define the Request
    request = InteractionRequest(
        protocol="api",
        action="query",
        target="users/42",
        headers=(),
        body=b"",
    )
    # 2. Define the Response
    chunks = (ResponseChunk(data=b'{"id": 42, "name": "Alice"}', sequence=0),)
    # 3. Create Interaction & Cassette
    interaction = Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=chunks,
    )
    cassette = Cassette(interactions=(interaction,))
    # 4. Replay
    broker = Broker(cassette=cassette)
    response = list(broker.replay(request))

    assert response == list(chunks)


def test_persistence_and_serialization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_: InteractionRequest
) -> None:
    monkeypatch.chdir(tmp_path)
    cassette = _cassette_with(request_, b"payload")
    # Save to JSON
    with open("cassette.json", "w") as f:
        f.write(cassette.model_dump_json(indent=2))
    # Load from JSON
    with open("cassette.json") as f:
        cassette = Cassette.model_validate_json(f.read())
    # Generate JSON Schema
    schema = Cassette.model_json_schema()

    assert cassette == _cassette_with(request_, b"payload")
    assert "interactions" in schema["properties"]


def test_streaming_responses(
    capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    chunks = tuple(
        ResponseChunk(data=b"x" * n, sequence=i) for i, n in enumerate((3, 5))
    )
    broker = Broker(
        Cassette(
            interactions=(
                Interaction(
                    request=request_,
                    fingerprint=request_.fingerprint(),
                    response_chunks=chunks,
                ),
            )
        )
    )
    # The broker returns a generator
    for chunk in broker.replay(request_):
        print(f"Received chunk: {len(chunk.data)} bytes")

    assert (
        capsys.readouterr().out == "Received chunk: 3 bytes\nReceived chunk: 5 bytes\n"
    )


def test_broker_mode_type_alias() -> None:
    from interposition import BrokerMode

    mode: BrokerMode = "auto"

    assert Broker(Cassette(interactions=()), mode=mode).mode == "auto"


def _documented_live_responder(your_http_client: Any) -> Any:
    """The document's live responder, verbatim, closing over the client."""
    from collections.abc import Iterable

    from interposition import (
        InteractionRequest,  # noqa: F401 - the document's import, kept verbatim
        ResponseChunk,
    )

    def my_live_responder(request: InteractionRequest) -> Iterable[ResponseChunk]:
        """Forward request to actual backend and yield response chunks."""
        # Your actual implementation here
        response = your_http_client.request(
            method=request.action,
            url=request.target,
            headers=dict(request.headers),
            data=request.body,
        )
        yield ResponseChunk(data=response.content, sequence=0)

    return my_live_responder


def test_live_responder_type_alias() -> None:
    from interposition.services import LiveResponder

    responder: LiveResponder = _documented_live_responder(requests)
    assert callable(responder)


def test_record_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    my_live_responder = _documented_live_responder(requests)
    request = InteractionRequest(
        protocol="http", action="POST", target=f"{backend}/a", headers=(), body=b"hi"
    )
    # Start with empty cassette
    cassette = Cassette(interactions=())
    broker = Broker(
        cassette=cassette,
        mode="record",
        live_responder=my_live_responder,
    )
    # All requests are forwarded and recorded
    response = list(broker.replay(request))
    # Save the updated cassette
    with open("cassette.json", "w") as f:
        f.write(broker.cassette.model_dump_json(indent=2))

    assert json.loads(response[0].data) == {
        "method": "POST",
        "path": "/a",
        "body": "hi",
    }
    saved = Cassette.model_validate_json(Path("cassette.json").read_text())
    assert saved.find_interaction(request.fingerprint()) is not None


def test_auto_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    my_live_responder = _documented_live_responder(requests)
    recorded = InteractionRequest(
        protocol="http", action="GET", target=f"{backend}/known", headers=(), body=b""
    )
    Path("cassette.json").write_text(
        _cassette_with(recorded, b"from the cassette").model_dump_json()
    )
    for request, expected in (
        (recorded, b"from the cassette"),
        (recorded.model_copy(update={"target": f"{backend}/new"}), b'"/new"'),
    ):
        # Load existing cassette (may be empty or partial)
        with open("cassette.json") as f:
            cassette = Cassette.model_validate_json(f.read())
        broker = Broker(
            cassette=cassette,
            mode="auto",
            live_responder=my_live_responder,
        )
        # Returns recorded response if exists, otherwise forwards and records
        response = list(broker.replay(request))

        assert expected in response[0].data


def test_custom_cassette_store_protocol(request_: InteractionRequest) -> None:
    from interposition import CassetteStore

    class MyCassetteStore:
        """Custom store implementation."""

        def __init__(self) -> None:
            self.saved: list[Cassette] = []

        def load(self) -> Cassette:
            """Load cassette from storage."""
            return self.saved[-1] if self.saved else Cassette(interactions=())

        def save(self, cassette: Cassette) -> None:
            """Save cassette to storage."""
            self.saved.append(cassette)

    store = MyCassetteStore()
    typed: CassetteStore = store
    broker = Broker(
        typed.load(),
        mode="record",
        live_responder=lambda r: [ResponseChunk(data=b"ok", sequence=0)],
        cassette_store=typed,
    )
    list(broker.replay(request_))
    list(broker.replay(request_.model_copy(update={"target": "users/43"})))
    # "it automatically saves the cassette after each recorded interaction"
    assert [len(c.interactions) for c in store.saved] == [1, 2]


def test_json_file_cassette_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    my_live_responder = _documented_live_responder(requests)
    request = InteractionRequest(
        protocol="http", action="GET", target=f"{backend}/x", headers=(), body=b""
    )
    Path("cassettes").mkdir()
    Path("cassettes/my_test.json").write_text('{"interactions": []}')

    from pathlib import Path as _Path

    from interposition import Broker, Cassette, JsonFileCassetteStore

    # Create store pointing to a JSON file
    store = JsonFileCassetteStore(_Path("cassettes/my_test.json"))
    # Load existing cassette (raises CassetteLoadError if not exists)
    cassette = store.load()
    # Or start with empty cassette
    cassette = Cassette(interactions=())
    # Create broker with automatic persistence
    broker = Broker(
        cassette=cassette,
        mode="record",
        live_responder=my_live_responder,
        cassette_store=store,  # Auto-saves after each recording
    )
    # After replay, cassette is automatically saved to file
    response = list(broker.replay(request))

    assert store.load().interactions[0].response_chunks == tuple(response)


def test_create_if_missing_and_parent_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_: InteractionRequest
) -> None:
    monkeypatch.chdir(tmp_path)
    from interposition import JsonFileCassetteStore

    store = JsonFileCassetteStore(
        Path("cassettes/my_test.json"),
        create_if_missing=True,
    )
    cassette = store.load()  # Returns empty Cassette if file doesn't exist

    assert cassette.interactions == ()
    broker = Broker(
        cassette,
        mode="record",
        live_responder=lambda r: [ResponseChunk(data=b"1", sequence=0)],
        cassette_store=store,
    )
    list(broker.replay(request_))
    assert Path("cassettes/my_test.json").is_file()


def test_fail_fast_when_saving_fails(
    tmp_path: Path, request_: InteractionRequest
) -> None:
    from interposition import CassetteSaveError, JsonFileCassetteStore

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = JsonFileCassetteStore(blocker / "cassette.json")
    broker = Broker(
        Cassette(interactions=()),
        mode="record",
        live_responder=lambda r: [ResponseChunk(data=b"1", sequence=0)],
        cassette_store=store,
    )
    # "the error is propagated and response streaming stops (fail-fast)"
    stream = broker.replay(request_)
    with pytest.raises(CassetteSaveError):
        next(stream)


def test_error_handling_base_class(
    capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    broker = Broker(Cassette(interactions=()))
    request = request_
    from interposition import InterpositionError

    try:
        broker.replay(request)
    except InterpositionError as e:
        print(f"Interposition error: {e}")

    # replay() is a generator: the error comes when it is iterated.
    try:
        list(broker.replay(request))
    except InterpositionError as e:
        print(f"Interposition error: {e}")
    assert capsys.readouterr().out.startswith(
        "Interposition error: No matching interaction for api:query:users/42"
    )


def test_interaction_not_found_error(
    capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    broker = Broker(_cassette_with(request_, b"x"))
    unknown_request = request_.model_copy(update={"target": "users/7"})
    from interposition import InteractionNotFoundError

    try:
        broker.replay(unknown_request)
    except InteractionNotFoundError as e:
        print(f"Not recorded: {e.request.target}")

    try:
        list(broker.replay(unknown_request))
    except InteractionNotFoundError as e:
        print(f"Not recorded: {e.request.target}")
    assert capsys.readouterr().out == "Not recorded: users/7\n"


def test_live_responder_required_error(
    capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    cassette = Cassette(interactions=())
    request = request_
    from interposition import LiveResponderRequiredError

    broker = Broker(cassette=cassette, mode="record")  # No live_responder!
    try:
        broker.replay(request)
    except LiveResponderRequiredError as e:
        print(f"live_responder required for {e.mode} mode")

    try:
        list(broker.replay(request))
    except LiveResponderRequiredError as e:
        print(f"live_responder required for {e.mode} mode")
    assert capsys.readouterr().out == "live_responder required for record mode\n"


def test_interaction_validation_error(
    capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    from interposition import RequestFingerprint

    request = request_
    chunks = (ResponseChunk(data=b"x", sequence=0),)
    wrong_fingerprint = RequestFingerprint(value="0" * 64)
    from interposition import Interaction, InteractionValidationError

    try:
        # This will fail: fingerprint doesn't match request
        interaction = Interaction(
            request=request,
            fingerprint=wrong_fingerprint,  # Mismatch!
            response_chunks=chunks,
        )
    except InteractionValidationError as e:
        print(f"Validation failed: {e}")

    assert "interaction" not in locals()
    assert capsys.readouterr().out.startswith(
        "Validation failed: Fingerprint does not match request"
    )


def test_cassette_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    from interposition import CassetteLoadError, JsonFileCassetteStore

    store = JsonFileCassetteStore(Path("cassettes/missing.json"))
    try:
        cassette = store.load()
    except CassetteLoadError as e:
        print(f"Failed to load from {e.path}: {e.__cause__}")

    assert "cassette" not in locals()
    assert capsys.readouterr().out.startswith(
        "Failed to load from cassettes/missing.json: [Errno 2] No such file"
    )


def test_cassette_save_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request_: InteractionRequest
) -> None:
    cassette = _cassette_with(request_, b"x")
    # The document writes to "/readonly/cassette.json"; tests run as root,
    # which may write anywhere, so the unwritable place is under a file.
    (tmp_path / "readonly").write_text("a file, not a directory")
    from pathlib import Path

    from interposition import CassetteSaveError, JsonFileCassetteStore

    store = JsonFileCassetteStore(Path(tmp_path / "readonly/cassette.json"))
    try:
        store.save(cassette)
    except CassetteSaveError as e:
        print(f"Failed to save to {e.path}: {e.__cause__}")

    assert capsys.readouterr().out.startswith(
        f"Failed to save to {tmp_path}/readonly/cassette.json: [Errno"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from interposition import __version__

    if __version__ < "0.2.0":
        print("Auto mode is not supported")
    else:
        print("Auto mode is supported")

    assert capsys.readouterr().out == "Auto mode is supported\n"
