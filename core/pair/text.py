"""The pair check as plain text for people (the command line and the swap project's log)."""
from facegraft.core.media.sequence import format_frame_range
from facegraft.core.pair.check import PairReport


def report_text(report: PairReport, *, name_a: str = "A", name_b: str = "B", max_frames: int = 12) -> str:
    """A few lines: the verdict, the ranges side by side, notes, and B's frames A never shows."""
    ra, rb = report.ranges_a, report.ranges_b
    lines = [f"verdict: {report.verdict}",
             f"faces: {name_a} {report.faces_a}, {name_b} {report.faces_b}",
             f"{'':14}{name_a:>22}{name_b:>22}"]
    for label, x, y, fmt in (("yaw (deg)", ra.yaw, rb.yaw, "+.0f"), ("pitch (deg)", ra.pitch, rb.pitch, "+.0f"),
                             ("mouth opening", ra.mouth, rb.mouth, ".2f"), ("eye opening", ra.eyes, rb.eyes, ".2f")):
        lines.append(f"{label:14}{format(x[0], fmt):>10} .. {format(x[1], fmt):<8}{format(y[0], fmt):>12} .. "
                     f"{format(y[1], fmt):<8}")
    lines.append(f"face shape distance {report.shape_distance:.3f}"
                 + ("" if report.skin_delta_e is None else f", skin tone ΔE {report.skin_delta_e:.1f}"))
    lines += [f"note: {n}" for n in report.notes]
    if report.uncovered:
        frames = [n for n, _ in report.uncovered]
        lines.append(f"{name_b} frames {name_a} never shows: {format_frame_range(frames)}")
        for n, why in report.uncovered[:max_frames]:
            lines.append(f"  {n}: {why}")
        if len(report.uncovered) > max_frames:
            lines.append(f"  ... and {len(report.uncovered) - max_frames} more")
    return "\n".join(lines)
