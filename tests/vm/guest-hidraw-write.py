#!/usr/bin/python3
"""In the test guest: how long one 8-byte write() on the bridge's hidraw node takes (a SET_REPORT
control transfer: the bridge has no OUT endpoint), N times, O_NONBLOCK as axpertd opens it.
Prints one JSON list of milliseconds."""
import json
import os
import sys
import time

node, n = sys.argv[1], int(sys.argv[2])
fd = os.open(node, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
times = []
# "QPI" + its CRC + CR, padded: what axpertd sends first.
report = b'QPI\xbe\xac\r\0\0'
for _ in range(n):
    start = time.monotonic()
    try:
        os.write(fd, report)
    except OSError as e:
        times.append(f'error {e.strerror}')
        continue
    times.append(round((time.monotonic() - start) * 1000, 3))
    time.sleep(0.3)
os.close(fd)
print(json.dumps(times))
