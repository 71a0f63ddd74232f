import threading
import time

import pytest

from cnnwidget.widget.jobs import JobRunner


def wait_until(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def steps_until_cancelled(log, name, steps=400):
    def work(job):
        for i in range(steps):
            if job.cancel.is_set():
                log.append((name, "cancelled", i))
                return
            time.sleep(0.005)
        log.append((name, "done", steps))

    return work


def test_newest_job_wins_and_runs_alone():
    runner = JobRunner()
    log = []
    active = []
    peak = [0]

    def tracked(name):
        inner = steps_until_cancelled(log, name, steps=40)

        def work(job):
            active.append(name)
            peak[0] = max(peak[0], len(active))
            try:
                inner(job)
            finally:
                active.remove(name)

        return work

    jobs = [runner.submit("maximize", tracked(f"unit{i}")) for i in range(10)]
    assert wait_until(lambda: not any(j.running for j in jobs))
    finished = [entry for entry in log if entry[1] == "done"]
    assert finished == [("unit9", "done", 40)]
    assert peak[0] == 1  # never two jobs at once
    assert not [t for t in threading.enumerate() if t.name.startswith(JobRunner.THREAD_PREFIX)]


def test_cancel_stops_the_job_at_its_next_step():
    # Counted in the job's own steps, not in wall-clock time: holds on a loaded machine too.
    runner = JobRunner()
    log, reached = [], [-1]

    def work(job):
        for i in range(100_000):
            if job.cancel.is_set():
                log.append(("a", "cancelled", i))
                return
            reached[0] = i
            time.sleep(0.005)

    job = runner.submit("maximize", work)
    assert wait_until(lambda: reached[0] >= 3, timeout=60)
    assert runner.cancel() is job
    step_at_cancel = reached[0]
    assert job.wait(60) and not job.running
    assert log[0][:2] == ("a", "cancelled")
    assert log[0][2] <= step_at_cancel + 2  # stopped at the first check after the request


def test_close_leaves_no_worker_and_refuses_new_jobs():
    runner = JobRunner()
    runner.submit("maximize", steps_until_cancelled([], "a"))
    assert runner.close(timeout=1.0)
    try:
        runner.submit("maximize", steps_until_cancelled([], "b"))
    except RuntimeError as err:
        assert "closed" in str(err)
    else:
        raise AssertionError("a closed runner accepted a job")


def test_errors_are_reported_not_raised():
    seen = []
    runner = JobRunner(on_error=lambda job, err: seen.append(str(err)))

    def boom(job):
        raise ValueError("bad unit")

    job = runner.submit("maximize", boom)
    assert job.wait(60)
    assert seen == ["bad unit"]


def test_an_interrupted_join_does_not_hide_a_running_job():
    # A kernel interrupt (SIGINT) while the main thread sits in job.thread.join(): on Python < 3.13
    # the thread then claims to be stopped although it runs on; the runner must not believe it.
    import signal

    runner = JobRunner()
    log = []
    job = runner.submit("maximize", steps_until_cancelled(log, "a", steps=100_000))
    main = threading.get_ident()
    timer = threading.Timer(0.2, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):  # fails if the interrupt never arrives
            job.thread.join(120)
    finally:
        timer.cancel()
    assert job.running and not log
    assert runner.cancel() is job
    assert job.wait(60) and log and log[0][1] == "cancelled"
    assert runner.close(timeout=10.0)


def test_wait_is_interruptible_and_times_out():
    import signal

    runner = JobRunner()
    job = runner.submit("maximize", steps_until_cancelled([], "a", steps=1000))  # about 5 s
    assert not job.wait(0.05) and job.running
    timer = threading.Timer(0.2, lambda: signal.raise_signal(signal.SIGINT))  # lands on some thread
    timer.start()
    with pytest.raises(KeyboardInterrupt):  # without the interrupt, wait() returns True after ~5 s: a failure
        job.wait()
    assert job.running  # the interrupt came while the job was still running, so the wait was cut short
    assert runner.close(timeout=10.0)


def test_a_group_cancels_every_lane_or_one_kind_and_closes_them_all():
    from cnnwidget.widget.jobs import JobGroup

    group = JobGroup()
    lanes = [group.runner() for _ in range(3)]
    log = []
    jobs = [lane.submit(kind, steps_until_cancelled(log, kind, steps=100_000))
            for lane, kind in zip(lanes, ("maximize", "attribution", "adversarial"))]
    assert wait_until(lambda: len(group.running()) == 3, timeout=60)  # the lanes run side by side
    assert group.cancel("attribution") == [jobs[1]]
    assert jobs[1].wait(60) and log == [("attribution", "cancelled", log[0][2])]
    assert group.running() == [jobs[0], jobs[2]]
    assert group.cancel() == [jobs[0], jobs[2]]
    assert all(j.wait(60) for j in jobs) and sorted(entry[1] for entry in log) == ["cancelled"] * 3
    lanes[0].submit("dream", steps_until_cancelled(log, "dream", steps=100_000))
    assert group.close(timeout=10.0) and group.running() == []
    with pytest.raises(RuntimeError, match="closed"):
        lanes[2].submit("adversarial", steps_until_cancelled(log, "late"))
