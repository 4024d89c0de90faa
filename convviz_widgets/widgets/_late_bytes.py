"""Open a widget's comm without binary buffers; send its ``Bytes`` traits right after.

Colab gives every cell output its own widget manager. A widget created while such output
frames exist reaches each of them through the manager's ``commChannelOpened``, and the
manager Colab ships (colab-cdn-widget-manager@472880a) hands the comm-open message to
``handle_comm_open`` without its buffers: any comm that opens *with* binary buffers fails
there ("Cannot read properties of undefined (reading 'buffer')", the colab-emu report's
``comm_open_errors``), and those frames hold no model for it until they fetch its state some
other way. Opening with the binary traits left out (the front end starts from empty bytes,
which every view here draws as "nothing yet") and sending them in the next message, an
ordinary update, keeps every frame's comm open clean. Elsewhere it costs one extra message
per widget at creation.

"Binary traits" are the synced ``traitlets.Bytes`` traits and those tagged ``buffers=True``
(a value whose JSON form holds bytes, like the raster's ``{dtype, shape, bytes}`` tiles).
"""

from __future__ import annotations

import traitlets


class BytesAfterOpen:
    """Mixin for widgets with synced binary traits (put it before the widget class).

    Examples
    --------
    >>> import ipywidgets as w
    >>> class Blob(BytesAfterOpen, w.DOMWidget):
    ...     data = traitlets.Bytes(b"xyz").tag(sync=True)
    >>> Blob._binary_traits()
    ['data']
    >>> b = Blob()
    >>> b.get_state()["data"]
    b'xyz'
    >>> class Tagged(BytesAfterOpen, w.DOMWidget):
    ...     blob = traitlets.Dict().tag(sync=True, buffers=True)
    >>> Tagged._binary_traits()
    ['blob']
    """

    _opening_comm = False

    @classmethod
    def _binary_traits(cls) -> list[str]:
        return sorted(name for name, trait in cls.class_traits(sync=True).items()
                      if isinstance(trait, traitlets.Bytes) or trait.metadata.get("buffers"))

    def open(self):
        if getattr(self, "comm", None) is not None:
            return super().open()
        self._opening_comm = True
        try:
            super().open()
        finally:
            self._opening_comm = False
        names = self._binary_traits()
        if getattr(self, "comm", None) is not None and names:
            self.send_state(names)

    def get_state(self, key=None, drop_defaults=False):
        state = super().get_state(key=key, drop_defaults=drop_defaults)
        if self._opening_comm:
            for name in self._binary_traits():
                state.pop(name, None)
        return state
