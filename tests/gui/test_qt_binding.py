"""Guards against Qt binding releases that break the app in ways no page test would notice.

PySide6 6.12.0 on Python 3.11 loses a reference to None/True/False on every signal delivered to
a Python slot; a GUI that runs for a while (hot-plug watcher, progress events) then aborts.
Delivering many signals in a subprocess shows it as a crash, not a flaky test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_many_signal_deliveries_do_not_corrupt_the_interpreter() -> None:
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QCoreApplication, QObject, Signal

        class Source(QObject):
            number = Signal(int)
            anything = Signal(object)

        app = QCoreApplication([])
        source, seen = Source(), [0]

        def count(value):  # returns None, like most slots; keeps no reference to value
            seen[0] += 1

        source.number.connect(count)
        source.anything.connect(count)
        before = sys.getrefcount(None)
        for i in range(20_000):
            source.number.emit(i)
            source.anything.emit(None)
        print(seen[0], sys.getrefcount(None) - before)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    delivered, drift = map(int, done.stdout.split())
    assert delivered == 40_000
    assert abs(drift) < 1000  # a leaking binding loses at least one reference per delivery
