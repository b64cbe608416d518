from pathlib import Path

from interposition import (
    Broker,
    InteractionRequest,
    JsonFileCassetteStore,
    ResponseChunk,
)


def test_record_then_replay_from_file(tmp_path: Path) -> None:
    calls: list[InteractionRequest] = []

    def live(request: InteractionRequest) -> list[ResponseChunk]:
        calls.append(request)
        return [ResponseChunk(data=b"hello", sequence=0)]

    store = JsonFileCassetteStore(tmp_path / "c.json", create_if_missing=True)
    request = InteractionRequest(
        protocol="p", action="a", target="t", headers=(), body=b""
    )
    recorder = Broker.from_store(store, mode="record", live_responder=live)
    assert [c.data for c in recorder.replay(request)] == [b"hello"]
    player = Broker.from_store(JsonFileCassetteStore(tmp_path / "c.json"))
    assert [c.data for c in player.replay(request)] == [b"hello"]
    assert len(calls) == 1
