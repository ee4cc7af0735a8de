"""An independent PI30 client for testing axpert-sim: its own CRC-16/XMODEM, escape rule and
framing, written from PI30.md alone (shares no code with the simulator or protocol/)."""
import os
import select
import socket
import termios
import time
import tty

# Bytes that frame a PI30 message; a CRC byte equal to one of them is sent incremented by one.
ESCAPED = (0x28, 0x0D, 0x0A)


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM bit by bit: poly 0x1021, init 0, no reflection, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


assert crc16_xmodem(b'123456789') == 0x31C3


def crc_bytes(crc: int, escape=True, escape_nul=True) -> bytes:
    out = []
    for b in (crc >> 8, crc & 0xFF):
        if escape and (b in ESCAPED or (escape_nul and b == 0)):
            b += 1
        out.append(b)
    return bytes(out)


def request(command: str, escape=True) -> bytes:
    data = command.encode('ascii')
    return data + crc_bytes(crc16_xmodem(data), escape) + b'\r'


def crc_ok(body: bytes, received: bytes) -> bool:
    """The tolerant check: each byte raw, or raw+1 when raw is 0x00/0x0A/0x0D/0x28."""
    crc = crc16_xmodem(body)
    for raw, got in zip((crc >> 8, crc & 0xFF), received):
        if got != raw and not ((raw in ESCAPED or raw == 0) and got == raw + 1):
            return False
    return True


class FrameError(Exception):
    pass


def parse_frame(frame: bytes) -> bytes:
    """Checks one answer ('(' payload CRC CR) and returns the payload."""
    if not frame.endswith(b'\r'):
        raise FrameError(f'no CR at the end: {frame!r}')
    if not frame.startswith(b'('):
        raise FrameError(f'no "(" at the start: {frame!r}')
    if len(frame) < 4:
        raise FrameError(f'too short: {frame!r}')
    body, crc = frame[:-3], frame[-3:-1]
    if not crc_ok(body, crc):
        raise FrameError(f'CRC mismatch: {frame!r} (computed {crc16_xmodem(body):04x})')
    payload = body[1:]
    if any(b < 0x20 or b > 0x7E for b in payload):
        raise FrameError(f'control bytes in payload: {frame!r}')
    return payload


class Timeout(Exception):
    pass


class SerialClient:
    """A client on the pty, set up like a 2400 8N1 serial port."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
        attrs = termios.tcgetattr(self.fd)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        attrs[4] = attrs[5] = termios.B2400
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self.buf = b''

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def drain(self, quiet=0.0):
        """Throws away whatever is queued (and what arrives within `quiet` seconds)."""
        termios.tcflush(self.fd, termios.TCIFLUSH)
        self.buf = b''
        end = time.monotonic() + quiet
        while True:
            left = end - time.monotonic()
            r, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not r:
                return
            try:
                os.read(self.fd, 4096)
            except BlockingIOError:
                pass

    def write(self, data: bytes):
        os.write(self.fd, data)

    def read_raw(self, timeout):
        """Everything that arrives within timeout seconds (for faults that send no CR)."""
        out = self.buf
        self.buf = b''
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    out += os.read(self.fd, 4096)
                except BlockingIOError:
                    pass

    def read_until_cr(self, timeout=3.0) -> bytes:
        end = time.monotonic() + timeout
        while b'\r' not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout(f'no CR within {timeout}s (got {self.buf!r})')
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.fd, 4096)
                except BlockingIOError:
                    pass
        i = self.buf.index(b'\r') + 1
        frame, self.buf = self.buf[:i], self.buf[i:]
        return frame

    def transact_raw(self, data: bytes, timeout=3.0) -> bytes:
        self.write(data)
        return self.read_until_cr(timeout)

    def query(self, command: str, timeout=3.0) -> bytes:
        """Sends a command and returns the checked payload."""
        return parse_frame(self.transact_raw(request(command), timeout))


class ReportClient:
    """A client with hidraw semantics on a SOCK_SEQPACKET socket: 8-byte reports."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reports = []

    def write(self, data: bytes, pad=True):
        for i in range(0, len(data), 8):
            piece = data[i:i + 8]
            if pad:
                piece = piece.ljust(8, b'\0')
            self.sock.send(piece)

    def read_report(self, timeout=3.0) -> bytes:
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise Timeout(f'no report within {timeout}s')
        data = self.sock.recv(64)
        self.reports.append(data)
        return data

    def read_answer(self, timeout=3.0) -> bytes:
        """Reads reports until one contains the CR; returns the bytes up to and with the CR."""
        out = b''
        end = time.monotonic() + timeout
        while b'\r' not in out:
            out += self.read_report(max(end - time.monotonic(), 0.001))
        return out[:out.index(b'\r') + 1]

    def read_answer_timed(self, timeout=3.0):
        """Like read_answer(); also returns when its first and its last report arrived."""
        out = b''
        first = last = None
        end = time.monotonic() + timeout
        while b'\r' not in out:
            out += self.read_report(max(end - time.monotonic(), 0.001))
            last = time.monotonic()
            first = first or last
        return out[:out.index(b'\r') + 1], first, last

    def read_answers(self, quiet=1.0):
        """Every answer until no report has come for `quiet` seconds."""
        answers = []
        while True:
            try:
                answers.append(self.read_answer(quiet))
            except Timeout:
                return answers

    def query(self, command: str, pad=True, timeout=3.0) -> bytes:
        self.reports = []
        self.write(request(command), pad)
        return parse_frame(self.read_answer(timeout))
