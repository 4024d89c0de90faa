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


# ------------------------------------------------ the protocol in every long compute function
def _demo():
    from conftest import make_functional, random_images

    model = make_functional()
    return model, random_images(model, 1)[0]


def test_scorecam_with_a_progress_object_sees_begin_steps_and_a_cancelled_end():
    model, image = _demo()
    rec = Recorder(stop_at=2)
    with pytest.raises(cv.CAMCancelled):
        cv.gradcam(model, image, method="scorecam", on_step=rec, batch_size=2, cache=False)
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["begin", "step", "step", "end"], rec.calls
    total = rec.calls[0][1]
    assert total > 2 and rec.calls[1] == ("step", 1, total) and rec.calls[2] == ("step", 2, total)
    assert rec.calls[-1] == ("end", 2, True)
    # a full run: one begin, every batch, one end not cancelled; a plain callable still works
    rec = Recorder()
    cv.gradcam(model, image, method="scorecam", on_step=rec, batch_size=2, cache=False)
    assert rec.calls[0] == ("begin", total) and rec.calls[-1] == ("end", total, False)
    assert [c[1] for c in rec.calls[1:-1]] == list(range(1, total + 1))
    seen = []
    cv.gradcam(model, image, method="scorecam", on_step=lambda d, t: seen.append(d),
               batch_size=2, cache=False)
    assert seen == list(range(1, total + 1))


def test_scorecam_cancel_event_ends_the_progress_as_cancelled():
    model, image = _demo()
    rec, ev = Recorder(), threading.Event()
    ev.set()
    with pytest.raises(cv.CAMCancelled):
        cv.gradcam(model, image, method="scorecam", on_step=rec, cancel=ev, cache=False)
    assert rec.calls[0][0] == "begin" and rec.calls[-1] == ("end", 0, True)


def test_a_fast_cam_calls_no_hook():
    model, image = _demo()
    rec = Recorder()
    cv.gradcam(model, image, method="gradcam", on_step=rec)
    assert rec.calls == []


def test_pixel_methods_report_through_one_tracker():
    model, image = _demo()
    rec = Recorder(stop_at=1)
    with pytest.raises(cv.CAMCancelled):
        cv.gradcam(model, image, method="integrated_gradients", on_step=rec, batch_size=4)
    assert [c[0] for c in rec.calls] == ["begin", "step", "end"]
    assert rec.calls[-1][2] is True
    rec = Recorder()
    cv.gradcam(model, image, method="smoothgrad", on_step=rec, batch_size=4)
    assert rec.calls[0][0] == "begin" and rec.calls[-1][0] == "end"
    assert rec.calls[-1][2] is False


def test_trust_functions_take_a_progress_object():
    model, image = _demo()
    r = cv.gradcam(model, image)
    rec = Recorder(stop_at=1)
    with pytest.raises(cv.CAMCancelled):
        cv.faithfulness(model, image, r, r.target, steps=8, batch_size=3, on_step=rec)
    assert [c[0] for c in rec.calls] == ["begin", "step", "end"] and rec.calls[-1][2] is True
    rec = Recorder()
    s = cv.sanity_check(model, image, "gradcam", on_step=rec)
    assert rec.calls[0] == ("begin", len(s.steps)) and rec.calls[-1] == ("end", len(s.steps),
                                                                          False)


def test_dataset_examples_returns_what_it_saw_when_a_progress_stops_it():
    model, _ = _demo()
    from conftest import random_images

    images = random_images(model, 6, seed=3)
    rec = Recorder(stop_at=4)  # on_step(4, 6) returns False: stop after the second batch
    ex = cv.dataset_examples(model, "last_conv", images, batch_size=2, on_step=rec)
    assert ex.cancelled and ex.n_images == 4
    assert rec.calls == [("begin", 6), ("step", 2, 6), ("step", 4, 6), ("end", 4, True)]
