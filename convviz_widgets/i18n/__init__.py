"""The one catalogue of everything the package writes, in English, Spanish and Portuguese.

Every text a user reads — control labels, page titles, hover words, status lines, error
messages — is an entry ``key -> {"en": …, "es": …, "pt": …}`` in one of this package's area
modules (``_ui``, ``_maps``, ``_errors``, ``_compute_errors``, ``_activations``, ``_kernels``,
``_maximizer``, ``_gradcam``, ``_channels``, ``_explorer``: data only). A text that depends on
a count is a *plural*: each language maps ``"one"`` and ``"other"`` to a text, and
``tr(key, lang, n=…)`` picks the form.

Keys have one style: ``area.name`` in lower case (``ui.layer``, ``av.channel``,
``err.images_rank``). Views build their labels translated (``tr(key, self.lang)``); nothing
relabels a built widget afterwards.

Errors: ``compute/`` never imports widgets, so it raises
:class:`~convviz_widgets.compute.InputError` with a message key and values (English text from
``compute/_messages.py``); the views' status line shows ``err.<key>`` in the view's language.
Views raise their own keyed errors the same way (``widgets._view_error.ViewError``).

This package imports no widget library: ``display/``, ``plotting/`` and ``widgets/`` all use it.
"""

from __future__ import annotations

from . import (_activations, _channels, _compute_errors, _errors, _explorer, _gradcam, _kernels,
               _maps, _maximizer, _ui)

__all__ = ["CATALOGUE", "LANGUAGES", "check_lang", "method_label", "plural_form", "tr"]

LANGUAGES = ("en", "es", "pt")


def _merge(*areas) -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for area in areas:
        for key, entry in area.TEXTS.items():
            if key in merged:
                raise ValueError(f"i18n key {key!r} is defined twice ({area.__name__}); keys "
                                 "must be unique across the catalogue.")
            merged[key] = entry
    return merged


#: key -> {"en", "es", "pt"} (plurals: each language -> {"one", "other"}).
CATALOGUE: dict[str, dict] = _merge(_ui, _maps, _errors, _compute_errors, _activations, _kernels,
                                    _maximizer, _gradcam, _channels, _explorer)


def check_lang(lang: str) -> str:
    """Validate a language code.

    Examples
    --------
    >>> check_lang("pt")
    'pt'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (English, Spanish, Portuguese), not "
                         f"{lang!r}.")
    return lang


def plural_form(lang: str, n) -> str:
    """``"one"`` or ``"other"``: which plural form of ``lang`` a count ``n`` takes.

    English, Spanish and Portuguese as taught here use the singular for exactly one ("1
    filter", "1 filtro") and the plural for every other count, 0 included ("0 filtros").

    Examples
    --------
    >>> plural_form("es", 1), plural_form("es", 0), plural_form("pt", 2)
    ('one', 'other', 'other')
    """
    return "one" if int(n) == 1 else "other"


def tr(key: str, lang: str = "en", n=None, **fmt) -> str:
    """The text ``key`` in ``lang``, formatted with ``fmt`` (and ``n``, for a plural).

    Parameters
    ----------
    key : str
        A catalogue key (``area.name``). An unknown key is a bug: ``KeyError``.
    lang : str
        "en", "es" or "pt".
    n : int, optional
        The count a plural entry agrees with (required for those); also passed to the text
        as ``{n}``.

    Examples
    --------
    >>> tr("ui.layer", "es"), tr("ui.layer", "pt"), tr("ui.layer")
    ('capa', 'camada', 'layer')
    >>> tr("fm.filters", "es", n=1), tr("fm.filters", "pt", n=3)
    ('1 filtro', '3 filtros')
    """
    try:
        text = CATALOGUE[key][lang]
    except KeyError:
        if key not in CATALOGUE:
            raise KeyError(f"i18n key {key!r} is not in the catalogue: add it (en, es, pt) to "
                           "an area module of convviz_widgets/i18n/.") from None
        raise KeyError(f"lang must be one of {LANGUAGES}, not {lang!r}.") from None
    if isinstance(text, dict):
        if n is None:
            raise TypeError(f"i18n key {key!r} depends on a count: call tr({key!r}, lang, n=…).")
        text = text[plural_form(lang, n)]
    if n is not None:
        fmt["n"] = n
    return text.format(**fmt) if fmt else text


def method_label(name: str, label: str, lang: str = "en") -> str:
    """A registered attribution method's menu label in ``lang`` (its own ``label`` when the
    catalogue has no words for it: proper names such as Grad-CAM stay as they are).

    Examples
    --------
    >>> method_label("integrated_gradients", "Integrated gradients", "es")
    'Gradientes integrados'
    >>> method_label("mycam", "My CAM", "pt")
    'My CAM'
    """
    key = f"method.{name}"
    return tr(key, lang) if key in CATALOGUE else label
