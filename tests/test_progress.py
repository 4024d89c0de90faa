"""The one progress/cancel protocol (compute/progress.py) every long computation uses."""

import threading

import pytest

import convviz_widgets as cv
from convviz_widgets.compute.progress import Cancelled, Progress, Tracker


class Recorder(Progress):
    def __init__(self, stop_at=None):
        self.calls = []
        self.stop_at = stop_at

    def on_begin(self, total):
        self.calls.append(("begin", total))

    def on_step(self, done, total):
        self.calls.append(("step", done, total))
        return self.stop_at is None or done < self.stop_at

    def on_frame(self, done, total, images, scores):
        self.calls.append(("frame", done, images, scores))

    def on_end(self, done, total, cancelled):
        self.calls.append(("end", done, cancelled))


def test_hooks_called_in_order_and_end_once():
    rec = Recorder()
    with Tracker(rec) as t:
        t.begin(3)
        for i in range(1, 4):
            assert t.step(i)
            t.frame("imgs", [i])
    t.end()
    assert rec.calls == [("begin", 3), ("step", 1, 3), ("frame", 1, "imgs", [1]),
                         ("step", 2, 3), ("frame", 2, "imgs", [2]), ("step", 3, 3),
                         ("frame", 3, "imgs", [3]), ("end", 3, False)]


def test_plain_callable_false_stops_and_raise_form():
    seen = []
    t = Tracker(lambda d, tot: seen.append((d, tot)) or d < 2)
    t.begin(None)
    assert t.step(1) and not t.step(2)
    assert t.stopped and seen == [(1, None), (2, None)]
    with pytest.raises(Cancelled):
        t.step_or_raise(3)
    assert seen == [(1, None), (2, None)], "a stopped run does not report more steps"


def test_cancel_event_checked_and_on_end_told():
    ev = threading.Event()
    rec = Recorder()
    with pytest.raises(Cancelled):
        with Tracker(rec, ev) as t:
            t.begin(10)
            t.step_or_raise(1)
            ev.set()
            t.check()
    assert rec.calls[-1] == ("end", 1, True)


def test_bad_arguments_say_what_to_pass():
    with pytest.raises(TypeError, match="on_step"):
        Tracker(on_step=3)
    with pytest.raises(TypeError, match="threading.Event"):
        Tracker(cancel=True)


def test_cam_cancelled_is_the_one_cancelled():
    assert issubclass(cv.CAMCancelled, Cancelled)
    assert cv.Progress is Progress and cv.Cancelled is Cancelled
