"""The Explorer's Model page: the layer table of ``model.summary()``, as HTML."""

from __future__ import annotations

import html

from ..i18n import tr


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def summary_html(infos, lang: str = "en") -> str:
    """A ``model.summary()``-like table; nested models fold open with ``<details>``.

    Pure HTML (no script), so it renders the same in every front end, Colab included.
    """
    rows: list[str] = []
    open_blocks: list[int] = []  # depths of <details> blocks currently open

    def close_to(depth):
        while open_blocks and open_blocks[-1] >= depth:
            rows.append("</table></details>")
            open_blocks.pop()

    head = tr("ex.summary_head", lang).split(" · ")
    header = "".join(f"<th style='text-align:left;padding:2px 10px'>{h}</th>" for h in head)
    rows.append(f"<table style='border-collapse:collapse;font-family:monospace;font-size:12px'>"
                f"<tr>{header}</tr>")
    for info in infos:
        close_to(info.depth + 1)
        cells = (f"<td style='padding:1px 10px'>{html.escape(info.name)}</td>"
                 f"<td style='padding:1px 10px'>{info.class_name}</td>"
                 f"<td style='padding:1px 10px'>{_shape_text(info.output_shape)}</td>"
                 f"<td style='padding:1px 10px;text-align:right'>{info.params:,}</td>")
        if info.is_container:
            rows.append(
                f"<tr><td colspan='4'><details class='convviz-nested' "
                f"style='margin-left:{12 * info.depth}px'><summary><b>"
                f"{html.escape(info.path)}</b> ({info.class_name}, "
                f"{_shape_text(info.output_shape)}, {info.params:,} {tr('ui.params', lang)})</summary>"
                f"<table style='border-collapse:collapse;margin-left:16px'>")
            open_blocks.append(info.depth + 1)
        else:
            rows.append(f"<tr>{cells}</tr>")
    close_to(0)
    rows.append("</table>")
    total = sum(i.params for i in infos if i.depth == 0)
    rows.append("<div style='font-family:monospace;font-size:12px'>"
                f"{tr('ui.total_params', lang, n=f'{total:,}')}</div>")
    return "".join(rows)
