"""Inline SVG line plots for the report page (no script, no library): a
plot is a few <polyline>s over axes with their end values written on."""
from html import escape

WIDTH, HEIGHT = 420, 180
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 58, 12, 22, 30
COLOURS = ("#1f6fb4", "#d9534f", "#3c9d3c", "#8e5ab5", "#e08a1e", "#2aa8a8", "#777777", "#b5488f")
POINTS_MAX = 600  # per line drawn (thinned evenly past this)


def _fmt(v):
    if abs(v) >= 10000:
        return f"{v / 1000:.0f}k"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.2f}"


def line_plot(title, lines, x_label="seconds into the campaign", y_label=""):
    """lines: [(label, [(x, y), ...])]; returns an <svg> element as text.
    A plot with no point says so instead of drawing empty axes."""
    pts = [p for _, ps in lines for p in ps]
    # Tall enough for one legend line per series.
    height = max(HEIGHT, MARGIN_T + MARGIN_B + 14 + 11 * len(lines)) if len(lines) > 1 else HEIGHT
    body = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">',
            f'<text x="{MARGIN_L}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    if not pts:
        body.append(f'<text x="{MARGIN_L}" y="{height // 2}" font-size="12">no data</text></svg>')
        return "".join(body)
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(0, min(p[1] for p in pts)), max(p[1] for p in pts)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    pw, ph = WIDTH - MARGIN_L - MARGIN_R, height - MARGIN_T - MARGIN_B

    def sx(x):
        return MARGIN_L + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return MARGIN_T + ph - (y - y0) / (y1 - y0) * ph
    bottom, right = MARGIN_T + ph, MARGIN_L + pw
    body.append(f'<path d="M{MARGIN_L},{MARGIN_T} V{bottom} H{right}" stroke="#444" fill="none"/>')
    body.append(f'<text x="{MARGIN_L - 4}" y="{MARGIN_T + 8}" font-size="10" text-anchor="end">{_fmt(y1)}</text>')
    body.append(f'<text x="{MARGIN_L - 4}" y="{bottom}" font-size="10" text-anchor="end">{_fmt(y0)}</text>')
    body.append(f'<text x="{MARGIN_L}" y="{bottom + 12}" font-size="10">{_fmt(x0)}</text>')
    body.append(f'<text x="{right}" y="{bottom + 12}" font-size="10" text-anchor="end">{_fmt(x1)}</text>')
    body.append(f'<text x="{MARGIN_L + pw / 2}" y="{bottom + 24}" font-size="10" text-anchor="middle">'
                f'{escape(x_label)}</text>')
    if y_label:
        body.append(f'<text x="10" y="{MARGIN_T + ph / 2}" font-size="10" text-anchor="middle" '
                    f'transform="rotate(-90 10 {MARGIN_T + ph / 2})">{escape(y_label)}</text>')
    for i, (label, ps) in enumerate(lines):
        if not ps:
            continue
        step = max(1, len(ps) // POINTS_MAX)
        shown = ps[::step] if ps[-1] in ps[::step] else ps[::step] + [ps[-1]]
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in shown)
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}">'
                    f'<title>{escape(label)}</title></polyline>')
        if len(lines) > 1:
            body.append(f'<text x="{right - 4}" y="{MARGIN_T + 12 + 11 * i}" font-size="10" fill="{colour}" '
                        f'text-anchor="end">{escape(label)}</text>')
    body.append("</svg>")
    return "".join(body)
