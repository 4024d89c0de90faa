"""How every view shows an error: one short sentence, the details folded away.

A failure inside a widget used to be shown as ``Type: message`` — for TensorFlow errors a
many-line message with the server's file paths and a graph traceback, which reads as a crash.
:func:`error_html` shows what failed and what to do in one sentence, and keeps the full text
(and, for unexpected errors, the traceback) in a closed ``<details>`` element for those who want
it. Every view uses it, so every error looks the same.
"""

from __future__ import annotations

import html
import re
import traceback

from ..i18n import CATALOGUE, tr

#: The one style of an error line, in every view (a w.HTML value: inline styles only).
ERROR_STYLE = "color:#b00020; line-height:1.35"
_DETAILS_STYLE = "color:#444; margin-top:2px"
_PRE_STYLE = ("white-space:pre-wrap; word-break:break-word; max-height:16em; overflow:auto; "
              "font-size:11px; background:#f7f7f7; border:1px solid #ddd; padding:4px; "
              "margin:2px 0")

# Errors whose message we write ourselves (or traitlets does) say what to do already.
_USER_ERRORS = (ValueError, TypeError, KeyError, IndexError)
_MAX_CHARS = 320
_PATH = re.compile(r"""(?:[A-Za-z]:)?(?:[\\/][\w.@+\-]+){2,}[\\/]?""")
_TF_NOISE = (
    re.compile(r"\{\{function_node [^}]*\}\}\s*"),  # eager op prefix
    re.compile(r"\s*\[Op:[^\]]*\](?: name: [^\s.]*)?"),  # eager op suffix
    re.compile(r"\s*\[\[\{\{node [^}]*\}\}\]\]"),  # graph node suffix
)
_SKIP = re.compile(r"^(File |Detected at node|Graph execution error|in user code:|Traceback |"
                   r"\[\[|Call arguments received|•|Arguments received|Exception encountered)")


def _is_tensorflow(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    return mod.startswith(("tensorflow", "keras", "tf_keras", "jax", "torch"))


def _cause(text: str) -> str:
    """The line of a long (TensorFlow) message that says what went wrong."""
    lines = [ln.strip() for ln in str(text).splitlines()]
    candidates = [ln for ln in lines if ln and not _SKIP.match(ln)
                  and not ln.startswith(("^", "~"))]
    # Keras/TF put the cause last ("ValueError: Cannot reshape ...", "Incompatible shapes ...").
    return candidates[-1] if candidates else (lines[0] if lines else "")


def _clip(text: str) -> str:
    for pat in _TF_NOISE:
        text = pat.sub("", text)
    text = _PATH.sub("…", " ".join(text.split()))
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS - 1].rstrip() + "…"
    return text


def _in_language(value, lang: str):
    """A message value in ``lang``: a keyed error given as a value (a view's "unknown layer"
    wraps compute's) is its catalogue text; other values are left as they are."""
    key = getattr(value, "message_key", None)
    if isinstance(value, BaseException) and key is not None and f"err.{key}" in CATALOGUE:
        return tr(f"err.{key}", lang, **getattr(value, "message_args", {}))
    return value


def _translated(exc: BaseException, lang: str) -> str | None:
    """The catalogue's ``err.<key>`` for ``exc`` in ``lang``, when it carries a message key
    (compute's ``InputError``, a view's ``ViewError``; a ``TraitError`` raised *from* one
    carries it in ``__cause__``)."""
    if lang == "en":
        return None
    seen = 0
    while exc is not None and seen < 5:
        key = getattr(exc, "message_key", None)
        if key is not None and f"err.{key}" in CATALOGUE:
            args = {name: _in_language(value, lang)
                    for name, value in getattr(exc, "message_args", {}).items()}
            try:
                return _clip(tr(f"err.{key}", lang, **args))
            except (KeyError, IndexError, ValueError):
                return None
        exc, seen = exc.__cause__, seen + 1
    return None


def short_message(exc: BaseException, lang: str = "en") -> str:
    """One sentence for ``exc``: what failed and what to do (no file paths, no traceback).

    Examples
    --------
    >>> short_message(ValueError("filter_index 9 is out of range: use 0 to 7."))
    'filter_index 9 is out of range: use 0 to 7.'
    """
    translated = _translated(exc, lang)
    if translated is not None:
        return translated
    text = str(exc)
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or name in ("ResourceExhaustedError", "OutOfMemoryError"):
        return tr("err.memory", lang)
    # Keras wraps errors raised while tracing in a many-line ValueError ("in user code: ...").
    multi = "\n" in text.strip()
    if _is_tensorflow(exc) or (multi and isinstance(exc, _USER_ERRORS)):
        cause = _clip(_cause(text)) or name
        return tr("err.tf", lang, cause=cause.rstrip("."))
    if isinstance(exc, _USER_ERRORS) or name == "TraitError":
        return _clip(text.strip().splitlines()[0] if text.strip() else name)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return tr("err.bug", lang, kind=name, cause=_clip(first).rstrip(".") or "—")


def error_details(exc: BaseException) -> str:
    """The full text kept behind the fold: type and message, plus the traceback if any."""
    if exc.__traceback__ is not None:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    return f"{type(exc).__name__}: {exc}"


def error_html(exc: BaseException, lang: str = "en", note: str | None = None) -> str:
    """The HTML every view shows for ``exc``: ⚠ one sentence, a note, folded details.

    Parameters
    ----------
    exc : BaseException
        The error.
    lang : str
        "en", "es" or "pt".
    note : str, optional
        A second short sentence (e.g. "The previous view is kept."); plain text.

    Examples
    --------
    >>> html_text = error_html(ValueError("Unknown method 'x'; use one of ['a']."))
    >>> "<details" in html_text and "Unknown method" in html_text
    True
    """
    sentence = html.escape(short_message(exc, lang))
    note_html = f" <small>{html.escape(note)}</small>" if note else ""
    details = html.escape(error_details(exc))
    return (f"<div class='convviz-error' style='{ERROR_STYLE}'>"
            f"<span class='convviz-error-msg'>⚠ {sentence}</span>{note_html}"
            f"<details class='convviz-error-details' style='{_DETAILS_STYLE}'>"
            f"<summary style='cursor:pointer'>{html.escape(tr('err.details', lang))}</summary>"
            f"<pre style='{_PRE_STYLE}'>{details}</pre></details></div>")
