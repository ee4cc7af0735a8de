"""A hostile serial line for the daemon tests: a pty of our own between axpertd and the simulator.

axpertd opens Relay.link (our pty); we open the simulator's pty and pass bytes both ways. Each
answer is attributed to the request it answers (the simulator answers every request, in order)
and the test's policy decides what the line does with it: pass it, hold it back (a late answer:
everything behind it waits too, as on a real wire), replace it by NAK, swallow it, or trickle
the line out one byte at a time. unplug()/replug() make our pty vanish and come back like a USB
serial adapter. Only for tests without simulator faults (each request gets one answer).
"""
import os
import select
import termios
import threading
import time
import tty

PASS = ('pass',)


def crc16(data):
    """CRC-16/XMODEM (PI30.md §2.3)."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def answer_bytes(payload):
    """'(' payload CRC CR with the escape rule, as an inverter sends it."""
    body = b'(' + payload.encode()
    crc = crc16(body)
    out = bytearray(body)
    for b in (crc >> 8, crc & 0xFF):
        out.append(b + 1 if b in (0x28, 0x0D, 0x0A) else b)
    out.append(0x0D)
    return bytes(out)


def set_raw(fd):
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[6][termios.VMIN] = 0
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Relay:
    def __init__(self, tmpdir, sim_link):
        self.link = os.path.join(tmpdir, 'ttyRELAY')
        self.sim_link = sim_link
        self.lock = threading.Lock()
        # policy(command, n) -> PASS | ('delay', seconds) | ('nak',) | ('drop',) |
        # ('replace', payload) (a well-formed frame with a CRC that holds); n counts the
        # requests of that command so far (1 = the first).
        self.policy = lambda command, n: PASS
        self.trickle = None     # seconds per byte for everything to the daemon, or None
        self.requests = []      # every command the daemon sent, in order
        self.counts = {}
        self.pending = []       # commands whose answers are still due from the simulator
        self.out = []           # (not_before, bytes) towards the daemon, in line order
        self.from_daemon = b''
        self.from_sim = b''
        self.current = None     # (command, action) of the answer coming in from the simulator
        self.master = self.slave = None
        self.stopping = False
        self.thread = None

    # ---------------------------------------------------------------- control from the test

    def start(self):
        self.sim_fd = os.open(self.sim_link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        set_raw(self.sim_fd)
        self.replug()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        if self.thread:
            self.thread.join(5)
        with self.lock:
            self._close_pty()
        os.close(self.sim_fd)

    def unplug(self):
        """Our pty goes away: axpertd reads EIO/HUP, as when a USB serial adapter is pulled."""
        with self.lock:
            self._close_pty()
            self.out.clear()
            self.from_daemon = b''
            try:
                os.unlink(self.link)
            except FileNotFoundError:
                pass

    def replug(self):
        with self.lock:
            self._close_pty()
            self.master, self.slave = os.openpty()
            os.set_blocking(self.master, False)
            set_raw(self.slave)
            tmp = self.link + '.new'
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            os.symlink(os.ttyname(self.slave), tmp)
            os.rename(tmp, self.link)

    def count(self, command):
        with self.lock:
            return self.counts.get(command, 0)

    def sent_since(self, index):
        with self.lock:
            return list(self.requests[index:])

    def n_requests(self):
        with self.lock:
            return len(self.requests)

    # ---------------------------------------------------------------- the line

    def _close_pty(self):
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def _request(self, line):
        # command text without the two CRC bytes and the CR
        command = line[:-3].decode('ascii', 'replace')
        self.requests.append(command)
        self.counts[command] = self.counts.get(command, 0) + 1
        self.pending.append((command, self.counts[command]))

    def _answer_byte(self, b, now):
        if self.current is None:
            command, n = self.pending.pop(0) if self.pending else ('?', 0)
            action = self.policy(command, n) if command != '?' else PASS
            self.current = [command, action, bytearray(), now]
        self.current[2].append(b)
        command, action, data, started = self.current
        unplugged = self.master is None  # what the simulator says meanwhile is lost
        if action[0] == 'pass' and not unplugged:
            self.out.append((0, bytes([b])))
        if b != 0x0D:
            return
        self.current = None
        if unplugged:
            return
        if action[0] == 'delay':
            self.out.append((started + action[1], bytes(data)))
        elif action[0] == 'nak':
            self.out.append((0, answer_bytes('NAK')))
        elif action[0] == 'replace':
            self.out.append((0, answer_bytes(action[1])))

    def _deliver(self, now):
        if self.master is None:
            return
        while self.out:
            not_before, data = self.out[0]
            if now < not_before:
                return
            if self.trickle is not None:
                if now < getattr(self, 'next_trickle', 0):
                    return
                self.next_trickle = now + self.trickle
                chunk, rest = data[:1], data[1:]
            else:
                chunk, rest = data, b''
            try:
                os.write(self.master, chunk)
            except (BlockingIOError, OSError):
                return
            if rest:
                self.out[0] = (not_before, rest)
            else:
                self.out.pop(0)

    def run(self):
        while not self.stopping:
            with self.lock:
                fds = [self.sim_fd] + ([self.master] if self.master is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [], 0.005)
            except (OSError, ValueError):
                continue
            with self.lock:
                now = time.monotonic()
                if self.master is not None and self.master in ready:
                    try:
                        data = os.read(self.master, 4096)
                    except (BlockingIOError, OSError):
                        data = b''
                    if data:
                        os.write(self.sim_fd, data)
                        self.from_daemon += data
                        while b'\r' in self.from_daemon:
                            line, _, self.from_daemon = self.from_daemon.partition(b'\r')
                            if len(line) >= 3:
                                self._request(line + b'\r')
                if self.sim_fd in ready:
                    try:
                        data = os.read(self.sim_fd, 4096)
                    except (BlockingIOError, OSError):
                        data = b''
                    for b in data:
                        self._answer_byte(b, now)
                self._deliver(now)
