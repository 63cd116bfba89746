"""The campaign's progress: one updating line on a terminal, a plain line
every PLAIN_PERIOD_S seconds (and at each stage) when not on one."""
import sys
import time

PLAIN_PERIOD_S = 10.0
TTY_PERIOD_S = 0.25
LINE_CHARS_MAX = 160


class Progress:
    def __init__(self, budget_s, stream=None):
        assert budget_s > 0
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.budget_s = budget_s
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def elapsed(self):
        return time.monotonic() - self.start

    def update(self, what, totals, force=False):
        """`what`: the unit running now; `totals`: a short summary."""
        now = time.monotonic()
        period = TTY_PERIOD_S if self.tty else PLAIN_PERIOD_S
        if not force and now - self.last < period:
            return
        self.last = now
        e = self.elapsed()
        text = f"campaign {e:6.0f}s/{self.budget_s:.0f}s {what}: {totals}"
        if self.tty:
            self.stream.write("\r" + text[:LINE_CHARS_MAX].ljust(LINE_CHARS_MAX))
            self.drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def say(self, text):
        """A line of its own (stages, findings)."""
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()
