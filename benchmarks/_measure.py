"""Run a command and print its wall time and peak memory as one JSON line (used by bench.py)."""

import json
import os
import subprocess
import sys
import tempfile
import time

with tempfile.TemporaryFile() as err:
    t0 = time.monotonic()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - t0
    if status != 0:
        err.seek(0)
        sys.stderr.write(err.read().decode("utf-8", "replace")[-2000:])
        sys.exit(1)
print(json.dumps({"seconds": round(seconds, 3), "peak_rss_mb": int(usage.ru_maxrss / 1024)}))
