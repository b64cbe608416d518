"""Many threads through one Broker: nothing lost, nothing handed out twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from interposition import (
    Broker,
    Cassette,
    InteractionNotFoundError,
    InteractionRequest,
    ResponseChunk,
)

from .helpers import STORES, chunks_of, make_interaction, make_request, new_store

THREADS = 50
PER_THREAD = 4


def run_threads(work: Callable[[int], None], count: int = THREADS) -> None:
    """Run ``work(n)`` in ``count`` threads released at once; re-raise errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []


def live(request: InteractionRequest) -> tuple[ResponseChunk, ...]:
    return chunks_of(b"response to " + request.target.encode(), request.body)


def thread_request(thread: int, number: int) -> InteractionRequest:
    return make_request(
        f"thread/{thread}/{number}",
        headers=[("thread", str(thread))],
        body=bytes([thread, number, 0xFF]),
    )


@pytest.mark.parametrize("kind", [*sorted(STORES), "memory"])
@pytest.mark.parametrize("start", ["from_store", "constructor"])
def test_threads_recording_through_one_broker_lose_nothing(
    kind: str, start: str, tmp_path: Path
) -> None:
    store = None if kind == "memory" else new_store(kind, tmp_path)
    if store is None or start == "constructor":
        broker = Broker(
            Cassette(interactions=()),
            mode="record",
            live_responder=live,
            cassette_store=store,
        )
    else:
        broker = Broker.from_store(
            new_store(kind, tmp_path, create_if_missing=True),
            mode="record",
            live_responder=live,
        )

    def work(thread: int) -> None:
        for number in range(PER_THREAD):
            request = thread_request(thread, number)
            assert tuple(broker.replay(request)) == live(request)

    run_threads(work)
    expected = {
        thread_request(thread, number)
        for thread in range(THREADS)
        for number in range(PER_THREAD)
    }
    in_memory = broker.cassette.interactions
    assert len(in_memory) == THREADS * PER_THREAD
    assert {i.request for i in in_memory} == expected
    assert broker.play_counts == (1,) * (THREADS * PER_THREAD)
    for interaction in in_memory:
        assert interaction.response_chunks == live(interaction.request)
    if store is not None:
        loaded = new_store(kind, tmp_path).load()
        assert len(loaded.interactions) == THREADS * PER_THREAD
        assert {i.request for i in loaded.interactions} == expected
        # The file holds them in the order the broker recorded them.
        assert loaded.interactions == in_memory


def test_threads_in_auto_mode_record_each_request_once() -> None:
    """Threads that all miss the same requests at once: each is recorded."""
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def counting_live(request: InteractionRequest) -> tuple[ResponseChunk, ...]:
        with lock:
            calls[request.target] += 1
        return live(request)

    broker = Broker(
        Cassette(interactions=()), mode="auto", live_responder=counting_live
    )
    requests = [make_request(f"shared/{n}") for n in range(10)]

    def work(thread: int) -> None:
        for request in requests:
            assert tuple(broker.replay(request)) == live(request)

    run_threads(work)
    # Every thread got the right answer; every live call was recorded, and
    # replays of a request recorded several times give its first recording.
    recorded = Counter(i.request.target for i in broker.cassette.interactions)
    assert recorded == calls
    assert set(recorded) == {r.target for r in requests}
    plays = sum(broker.play_counts)
    assert plays == THREADS * len(requests)


def test_concurrent_sequential_replay_hands_out_each_recording_once() -> None:
    request = make_request("same")
    recordings = THREADS * PER_THREAD
    broker = Broker(
        Cassette(
            interactions=tuple(
                make_interaction(request, f"recording {n}".encode())
                for n in range(recordings)
            )
        ),
        playback="sequential",
    )
    served: list[bytes] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        for _ in range(PER_THREAD):
            (chunk,) = broker.replay(request)
            with lock:
                served.append(chunk.data)

    run_threads(work)
    assert sorted(served) == sorted(
        f"recording {n}".encode() for n in range(recordings)
    )
    assert len(set(served)) == recordings
    assert broker.play_counts == (1,) * recordings
    assert broker.unplayed_interactions() == ()
    with pytest.raises(InteractionNotFoundError, match="already played"):
        list(broker.replay(request))


def test_concurrent_first_match_replay_counts_every_play() -> None:
    requests = [make_request(f"r{n}") for n in range(5)]
    broker = Broker(
        Cassette(
            interactions=tuple(
                make_interaction(request, request.target.encode())
                for request in requests
            )
        )
    )
    rounds = 100

    def work(thread: int) -> None:
        for _ in range(rounds):
            for request in requests:
                (chunk,) = broker.replay(request)
                assert chunk.data == request.target.encode()

    run_threads(work)
    assert broker.play_counts == (THREADS * rounds,) * len(requests)
