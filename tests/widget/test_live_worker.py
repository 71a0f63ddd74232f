"""The live thread: in order, newest frame wins, its own torch thread count, errors reported, closes."""

import threading
import time

import torch

from cnnwidget.widget.live.worker import LiveWorker, default_threads


def test_calls_run_in_order_on_one_thread_with_its_own_thread_count():
    main_threads = torch.get_num_threads()
    seen = []
    worker = LiveWorker(on_error=lambda err: None, threads=1)
    futures = [worker.submit(lambda i=i: seen.append((i, threading.current_thread().name, torch.get_num_threads())))
               for i in range(5)]
    assert worker.wait_idle(10)
    assert [i for i, _, _ in seen] == [0, 1, 2, 3, 4] and all(f.done() for f in futures)
    assert {(name, n) for _, name, n in seen} == {("cnnwidget-live", 1)}
    assert torch.get_num_threads() == main_threads  # the caller's thread count is untouched
    worker.close()


def test_a_queued_frame_is_replaced_by_a_newer_one_but_other_calls_stay():
    gate, seen = threading.Event(), []
    worker = LiveWorker(on_error=lambda err: None)
    worker.submit(gate.wait)  # holds the thread so the next ones queue up
    old = worker.submit(lambda: seen.append("old frame"), frame=True)
    stop = worker.submit(lambda: seen.append("stop"))
    new = worker.submit(lambda: seen.append("new frame"), frame=True)
    gate.set()
    assert worker.wait_idle(10)
    assert seen == ["stop", "new frame"] and old.cancelled() and new.result() is None and stop.done()
    worker.close()


def test_a_failing_call_is_reported_and_the_next_one_still_runs():
    errors, seen = [], []
    worker = LiveWorker(on_error=errors.append)
    failed = worker.submit(lambda: 1 / 0)
    worker.submit(lambda: seen.append("after"))
    assert worker.wait_idle(10)
    assert isinstance(failed.exception(), ZeroDivisionError) and isinstance(errors[0], ZeroDivisionError)
    assert seen == ["after"]
    worker.close()


def test_close_drops_the_queue_ends_the_thread_and_refuses_more():
    gate = threading.Event()
    worker = LiveWorker(on_error=lambda err: None)
    worker.submit(lambda: gate.wait(5))
    queued = worker.submit(lambda: None)
    threading.Timer(0.2, gate.set).start()
    worker.close(timeout=5)
    assert queued.cancelled() and not worker._thread.is_alive()
    assert worker.submit(lambda: None).cancelled()


def test_two_cores_get_one_thread(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_threads() == 1
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_threads() == 4


def test_an_idle_thread_ends_and_the_next_call_starts_a_new_one():
    worker = LiveWorker(on_error=lambda err: None, idle_exit_s=0.05)
    first = worker.submit(threading.get_ident).result(timeout=10)
    deadline = time.monotonic() + 10
    while worker._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker._thread is None  # no thread left behind by a stopped stream
    assert not any(t.name == "cnnwidget-live" and t.ident == first for t in threading.enumerate())
    assert worker.submit(lambda: "again").result(timeout=10) == "again"
    worker.close()
