import pytest

from interposition import (
    Broker,
    Cassette,
    Interaction,
    InteractionNotFoundError,
    InteractionRequest,
    ResponseChunk,
)


def _request(target: str) -> InteractionRequest:
    return InteractionRequest(
        protocol="p", action="a", target=target, headers=(), body=b""
    )


def test_a_miss_says_why_when_all_recordings_were_played() -> None:
    recorded = Interaction.build(_request("t"), (ResponseChunk(data=b"1", sequence=0),))
    broker = Broker(Cassette(interactions=(recorded,)), playback="sequential")
    list(broker.replay(_request("t")))
    with pytest.raises(InteractionNotFoundError) as exhausted:
        list(broker.replay(_request("t")))
    assert exhausted.value.reason is not None
    assert "already played" in exhausted.value.reason
    with pytest.raises(InteractionNotFoundError) as unknown:
        list(broker.replay(_request("other")))
    assert unknown.value.reason is None
    assert unknown.value.closest == _request("t")
