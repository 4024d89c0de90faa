"""The one job runner (widgets/_jobs.py): supersede, cancel, revert, throttle, errors, idle."""

import threading

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.compute.progress import Cancelled, Progress
from convviz_widgets.widgets._jobs import Job, JobRunner, wait_all


class FakeClock:
    """Seconds that move only when the test says so: throttle counts are exact, not timed."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_new_job_supersedes_the_running_one_and_drops_the_waiting_ones():
    gate, started = threading.Event(), threading.Event()
    ran, done = [], []

    def first(job):
        started.set()
        assert gate.wait(10)
        ran.append(("first", job.current, job.cancelled))
        return "first"

    runner = JobRunner("test-supersede")
    jobs = [runner.start(first, on_done=done.append)]
    assert started.wait(10)
    for k in range(1, 20):
        jobs.append(runner.start(lambda job, k=k: ran.append((k, job.current)) or k,
                                 on_done=done.append))
    assert not runner.idle
    gate.set()
    assert runner.wait(10) and runner.idle
    # The first job was cancelled and superseded: it ran to its end but its result is dropped;
    # of the 19 later requests only the newest ran.
    assert ran == [("first", False, True), (19, True)]
    assert done == [19]
    assert runner.stats == {"submitted": 20, "started": 2, "dropped": 18, "failed": 0}
    assert all(j.cancelled for j in jobs[:-1]) and not jobs[-1].cancelled


def test_cancel_stops_the_running_job_which_stays_current_and_shows_its_partial_result():
    started = threading.Event()
    done = []

    def work(job):
        started.set()
        steps = 0
        while job.on_step(steps, 1000):  # the compute protocol: False once cancelled
            steps += 1
            job.cancel_event.wait(0.01)
        return ("partial", steps, job.current)

    runner = JobRunner("test-cancel")
    runner.start(work, on_done=done.append)
    assert started.wait(10)
    runner.cancel()
    assert runner.wait(10)
    assert len(done) == 1 and done[0][0] == "partial" and done[0][2] is True
    assert done[0][1] < 1000


def test_cancel_before_start_drops_the_job_and_the_owner_still_hears_idle():
    gate, started = threading.Event(), threading.Event()
    busy, done = [], []
    runner = JobRunner("test-drop", on_busy=busy.append)
    runner.start(lambda job: (started.set(), gate.wait(10)))
    assert started.wait(10)
    runner.start(lambda job: done.append("second"))
    runner.cancel()  # drops the waiting second job, stops the first
    gate.set()
    assert runner.wait(10)
    assert done == [] and runner.stats["dropped"] == 1
    assert busy == [True, True, False]


def test_a_failing_job_reverts_the_view_and_the_owner_gets_the_error():
    errors, state = [], {"layer": "new"}
    runner = JobRunner("test-revert", on_error=errors.append)

    def fail(job):
        raise ValueError("layer 'x' has no kernel; pick one of [...]")

    runner.start(fail, revert=lambda: state.update(layer="old"))
    assert runner.wait(10)
    assert state == {"layer": "old"}
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    assert runner.last_error is None, "an error given to the owner is not an escaped one"


def test_a_cancelled_computation_reverts_without_an_error():
    errors, reverted = [], []
    runner = JobRunner("test-cancelled", on_error=errors.append)

    def work(job):
        raise Cancelled("cancelled after 3 of 10 steps")

    runner.start(work, revert=lambda: reverted.append(1), on_done=errors.append)
    assert runner.wait(10)
    assert reverted == [1] and errors == []


def test_a_superseded_failure_neither_reverts_nor_reports():
    gate, started = threading.Event(), threading.Event()
    errors, reverted = [], []
    runner = JobRunner("test-superseded-failure", on_error=errors.append)

    def fail(job):
        started.set()
        gate.wait(10)
        raise RuntimeError("too late to matter")

    runner.start(fail, revert=lambda: reverted.append(1))
    assert started.wait(10)
    runner.cancel(supersede=True)
    gate.set()
    assert runner.wait(10)
    assert errors == [] and reverted == []


def test_an_error_escaping_a_callback_is_kept_and_printed_and_the_runner_goes_on(capfd):
    runner = JobRunner("test-escape")
    runner.start(lambda job: 1, on_done=lambda r: 1 / 0)
    assert runner.wait(10)
    assert isinstance(runner.last_error, ZeroDivisionError) and runner.stats["failed"] == 1
    err = capfd.readouterr().err
    assert "uncaught error in job runner 'test-escape'" in err and "ZeroDivisionError" in err
    done = []
    runner.start(lambda job: 2, on_done=done.append)
    assert runner.wait(10) and done == [2]


def test_throttle_reports_first_last_and_one_per_interval_with_their_frames():
    clock = FakeClock()
    progress, frames = [], []
    runner = JobRunner("test-throttle", on_progress=progress.append, hz=4, clock=clock)

    def work(job):
        for done in range(1, 101):  # 100 steps, 1/32 s apart (exact in binary)
            clock.now = done / 32
            job.on_step(done, 100)
            job.on_frame(done, 100, np.full((1, 2, 2, 3), done / 100, np.float32), [done])
        return job

    job = runner.start(work, on_frame=lambda d, t, images, scores: frames.append(d))
    assert runner.wait(10)
    # The first step, then one every 1/4 s = 8 steps (9, 17, … 97), and the last: 14 in all.
    assert frames == [1, 9, 17, 25, 33, 41, 49, 57, 65, 73, 81, 89, 97, 100]
    assert progress == [d / 100 for d in frames]
    assert job.reports == job.frames == 14


def test_a_frame_without_a_due_step_is_not_sent_and_a_superseded_job_sends_nothing():
    clock = FakeClock()
    frames, progress = [], []
    runner = JobRunner("test-stale", on_progress=progress.append, clock=clock)
    holder = {}

    def work(job):
        holder["job"] = job
        assert job.on_step(1, 10)
        job.on_frame(1, 10, None, None)
        job.on_frame(1, 10, None, None)  # a second frame for the same step: not due
        runner.cancel(supersede=True)
        clock.now = 5.0
        assert job.on_step(2, 10) is False
        job.on_frame(2, 10, None, None)

    runner.start(work, on_frame=lambda *a: frames.append(a[0]))
    assert runner.wait(10)
    assert frames == [1] and progress == [0.1]


def test_job_is_the_compute_progress_protocol_of_maximize(models):
    """The runner talks to compute only through on_step / cancel: a real maximize run streams
    throttled frames and a Cancel returns the rows done so far."""
    clock = FakeClock()
    frames, results = [], []
    runner = JobRunner("test-maximize", hz=10, clock=clock)

    def on_frame(done, total, images, scores):
        frames.append((done, total, images.shape))
        clock.now += 1.0  # every later step is due
        if done >= 3:
            runner.cancel()

    runner.start(lambda job: cv.maximize(models["functional"], "last_conv", [0, 1], steps=50, cache=False,
                                         on_step=job, cancel=job.cancel_event),
                 on_frame=on_frame, on_done=results.append)
    assert runner.wait(60)
    res = results[0]
    assert res.cancelled and not res.complete.any()
    assert [d for d, _, _ in frames][:3] == [1, 2, 3]
    assert frames[0][2][0] == 2


def test_wait_all_and_busy_follow_every_runner():
    busy = []
    a = JobRunner("test-a", on_busy=lambda b: busy.append(("a", b)))
    b = JobRunner("test-b")
    gate = threading.Event()
    a.start(lambda job: gate.wait(10))
    b.start(lambda job: None)
    assert not wait_all([a, b], timeout=0.05)
    gate.set()
    assert wait_all([a, b], timeout=10)
    assert busy == [("a", True), ("a", False)]


def test_a_job_is_a_compute_progress_observer():
    runner = JobRunner("test-type")
    job = runner.start(lambda job: None)
    assert runner.wait(10)
    assert isinstance(job, Job) and isinstance(job, Progress)
