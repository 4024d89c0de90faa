"""The Publish panel: build the model's static site (:func:`convviz_widgets.publish`) from a
notebook — folder, layers, Build, progress, Cancel, and what was written.

A component: the Explorer's "Publish" page, usable on its own. The build is a job of the one
job runner (:class:`._jobs.JobRunner`), so the notebook stays usable, the progress bar is
throttled where every view's is, and Cancel stops before the next unit of work, leaving a folder
the next Build resumes.
"""

from __future__ import annotations

import html
import os

import ipywidgets as w

from ..compute import conv_layers
from ..publish import publish
from ..i18n import tr
from ._jobs import JobRunner

#: Least time between two progress-bar updates (the comm channel, not the build, is the limit).


class PublishPanel(w.VBox):
    """Build the static site of ``model`` over ``data`` from a notebook.

    Parameters
    ----------
    model : keras.Model
    data : array, data set, callable or None
        As :func:`convviz_widgets.publish` takes it; a callable is called (in the background,
        on Build) to get it, so a large data set is made or loaded only when a site is built;
        None: Build says which data to give.
    folder : str
        Initial site folder.
    lang : {"en", "es", "pt"}
        Language of the panel and the site's default language.
    **options
        Passed on to :func:`convviz_widgets.publish` (``k``, ``steps``, ``preprocess``,
        ``class_names`` ...).

    Attributes
    ----------
    folder_box, layer_picker, overwrite_box, build_button, cancel_button, progress, status
        The controls.
    result : PublishResult or None
        The last finished build.

    Examples
    --------
    >>> panel = PublishPanel(cv.demo_model(), cv.demo_dataset(), "site")   # doctest: +SKIP
    >>> panel                                                              # doctest: +SKIP
    """

    def __init__(self, model, data, folder: str = "site", lang: str = "en", **options):
        self.model, self.data, self.lang, self.options = model, data, lang, options
        self.result = None
        self._unanswered = False
        paths = [i.path for i in conv_layers(model, kind="kernel") if i.is_spatial]
        self.folder_box = w.Text(value=folder, description=tr("pub.folder", lang),
                                 style={"description_width": "initial"})
        self.layer_picker = w.SelectMultiple(options=paths, value=tuple(paths),
                                             rows=min(8, max(len(paths), 2)),
                                             description=tr("pub.layers", lang))
        self.overwrite_box = w.Checkbox(value=False, description=tr("pub.overwrite", lang),
                                        indent=False)
        self.build_button = w.Button(description=tr("pub.build", lang), button_style="primary",
                                     icon="globe")
        self.build_button.add_class("convviz-run")
        self.cancel_button = w.Button(description=tr("pub.cancel", lang), disabled=True,
                                      icon="stop")
        self.cancel_button.add_class("convviz-cancel")
        self.progress = w.IntProgress(value=0, min=0, max=1000, layout=w.Layout(width="auto"))
        self.status = w.HTML(value=html.escape(tr("pub.idle", lang)))
        self.status.add_class("convviz-status")
        self.jobs = JobRunner("convviz-publish", on_progress=self._on_progress,
                              on_error=self._on_error, on_busy=self._on_busy)
        self.build_button.on_click(lambda _: self.build())
        self.cancel_button.on_click(lambda _: self.cancel())
        super().__init__([self.folder_box, self.layer_picker, self.overwrite_box,
                          w.HBox([self.build_button, self.cancel_button]), self.progress,
                          self.status])
        self.add_class("convviz-publish")

    @property
    def running(self) -> bool:
        """True while a build runs."""
        return not self.jobs.idle

    def build(self) -> None:
        """Start building in the background (what the Build button does)."""
        if self.running:
            return
        if self.data is None:
            self.status.value = html.escape(tr("pub.no_data", self.lang))
            return
        if not self.layer_picker.value:
            self.status.value = html.escape(tr("pub.no_layers", self.lang))
            return
        self.progress.value = 0
        self.status.value = html.escape(tr("pub.running", self.lang, pct=0))
        settings = dict(layers=list(self.layer_picker.value), lang=self.lang,
                        overwrite=self.overwrite_box.value, **self.options)
        folder = self.folder_box.value

        def work(job):
            data = self.data() if callable(self.data) else self.data
            return publish(self.model, data, folder, on_step=job, cancel=job.cancel_event,
                           **settings)

        self._unanswered = True  # until the build ends with a result or an error
        self.jobs.start(work, on_done=self._on_done)

    def cancel(self) -> None:
        """Stop the build before its next unit of work (what the Cancel button does)."""
        self.jobs.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running build ends (scripts and tests); False on timeout."""
        return self.jobs.wait(timeout)

    # -- the runner's callbacks (worker thread) -------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        self.build_button.disabled, self.cancel_button.disabled = busy, not busy
        if not busy and self._unanswered:  # cancelled before its first unit of work
            self._unanswered = False
            self.status.value = html.escape(tr("pub.cancelled", self.lang, built=0))

    def _on_progress(self, fraction: float) -> None:
        self.progress.value = int(1000 * fraction)
        self.status.value = html.escape(tr("pub.running", self.lang, pct=int(100 * fraction)))

    def _on_error(self, err: BaseException) -> None:
        self._unanswered = False
        if isinstance(err, FileExistsError):
            self.status.value = html.escape(tr("pub.exists", self.lang))
        else:
            self.status.value = html.escape(tr("pub.failed", self.lang,
                                               kind=type(err).__name__, detail=err))

    def _on_done(self, res) -> None:
        self._unanswered = False
        self.result = res
        if not res.cancelled:
            self.progress.value = self.progress.max
        self.status.value = self._summary(res)

    def _summary(self, res) -> str:
        if res.cancelled:
            return html.escape(tr("pub.cancelled", self.lang, built=len(res.built)))
        text = tr("pub.done", self.lang, pages=res.pages, mb=f"{res.bytes / 1e6:.1f}",
                  s=f"{res.seconds:.0f}", built=len(res.built), resumed=len(res.resumed))
        href = os.path.relpath(res.path / "index.html") if not res.path.is_absolute() else \
            res.path.joinpath("index.html").as_uri()
        return (f"{html.escape(text)} <a href=\"{html.escape(href)}\" target=\"_blank\">"
                f"{html.escape(tr('pub.open', self.lang))}</a>")
