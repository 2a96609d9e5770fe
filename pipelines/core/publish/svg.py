"""A minimal SVG writer for the report's two charts (no plotting library: text out, deterministic, ~ms per chart).

Only what the charts need: rectangles, lines, text (optionally rotated), a palette and a sequential colour scale,
and "nice" integer axis ticks. Coordinates are pixels, y grows downwards (SVG convention).
"""
from __future__ import annotations

import html
import math

# matplotlib's tab20 (qualitative, 20 colours): the event types of the timeline, in order of frequency
TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
         "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
         "#17becf", "#9edae5"]
# ColorBrewer "Blues" (sequential): the counts of the who-acts-on-whom grid
BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]


def _fmt(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def blues(t: float) -> str:
    """Colour for t in [0, 1] on the Blues scale (linear between its stops)."""
    t = min(1.0, max(0.0, t)) * (len(BLUES) - 1)
    i = min(int(t), len(BLUES) - 2)
    f = t - i
    a, b = BLUES[i], BLUES[i + 1]
    rgb = [round(int(a[k:k + 2], 16) * (1 - f) + int(b[k:k + 2], 16) * f) for k in (1, 3, 5)]
    return "#" + "".join(f"{v:02x}" for v in rgb)


def integer_ticks(top: int, max_ticks: int = 6) -> list[int]:
    """0 .. >= top in a 1/2/5 x 10^k integer step, at most max_ticks + 1 ticks."""
    top = max(1, int(top))
    raw = top / max_ticks
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), 10 * mag)
    step = max(1, int(step))
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


class Canvas:
    def __init__(self, width: int, height: int, title: str | None = None):
        self.width, self.height = width, height
        self.parts: list[str] = []
        self.title = title

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, stroke: str | None = None,
             tip: str | None = None) -> None:
        attrs = f'x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{_fmt(h)}" fill="{fill}"'
        if stroke:
            attrs += f' stroke="{stroke}"'
        if tip:
            self.parts.append(f"<rect {attrs}><title>{html.escape(tip)}</title></rect>")
        else:
            self.parts.append(f"<rect {attrs}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#000", opacity: float = 1.0) -> None:
        op = f' stroke-opacity="{_fmt(opacity)}"' if opacity < 1 else ""
        self.parts.append(f'<line x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" stroke="{stroke}"{op}/>')

    def text(self, x: float, y: float, s: str, *, size: int = 11, anchor: str = "start", rotate: float = 0,
             fill: str = "#000", weight: str | None = None, baseline: str | None = None) -> None:
        attrs = f'x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" text-anchor="{anchor}"'
        if fill != "#000":
            attrs += f' fill="{fill}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        if baseline:
            attrs += f' dominant-baseline="{baseline}"'
        if rotate:
            attrs += f' transform="rotate({_fmt(rotate)} {_fmt(x)} {_fmt(y)})"'
        self.parts.append(f"<text {attrs}>{html.escape(s)}</text>")

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">')
        title = f"<title>{html.escape(self.title)}</title>" if self.title else ""
        bg = f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="#fff"/>'
        return "\n".join([head, title + bg, *self.parts, "</svg>"]) + "\n"
