#!/usr/bin/python3
"""ptyrun.py - run a command on a pseudo-terminal, as a user at a shell
would, and stop it as that user would.

usage: ptyrun.py --ready TEXT (--ctrl-c | --term-child NAME) [--timeout S] -- CMD...

Waits until TEXT appears in the output, then either types Ctrl-C (the
terminal sends SIGINT to the whole foreground process group) or sends
SIGTERM to the first process, in tree order, whose command line contains
NAME among the command's descendants.  Prints everything the command wrote, then a last
line "status N" (N as a shell's $? would show it: 128+signal when killed).
Exit 0, or 1 if TEXT never appeared or the command did not end in time.
"""
import argparse, os, pty, select, signal, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--ready", required=True)
ap.add_argument("--ctrl-c", action="store_true")
ap.add_argument("--term-child")
ap.add_argument("--timeout", type=float, default=60)
ap.add_argument("cmd", nargs="+")
a = ap.parse_args()

pid, fd = pty.fork()
if pid == 0:
    os.execvp(a.cmd[0], a.cmd)

out = b""
def pump(until, want=None):
    global out
    while time.monotonic() < until:
        if want is not None and want in out:
            return True
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return want is None
            if not d:
                return want is None
            out += d
    return False

def descendants(p):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                continue
            if ppid == p:
                kids.append(int(d))
                kids += descendants(int(d))
    return kids

ok = pump(time.monotonic() + a.timeout, a.ready.encode())
if ok:
    if a.ctrl_c:
        os.write(fd, b"\x03")
    else:
        # the first in tree order: the launcher itself, not one of its
        # subshells (which carry the same command line)
        for k in descendants(pid):
            try:
                with open(f"/proc/{k}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if a.term_child in cmd:
                os.kill(k, signal.SIGTERM)
                break
else:
    os.kill(pid, signal.SIGKILL)
end = time.monotonic() + 20
pump(end)
done = 0
while not done and time.monotonic() < end:
    done, st = os.waitpid(pid, os.WNOHANG)
    if not done:
        time.sleep(0.05)
if not done:
    os.kill(pid, signal.SIGKILL)
    _, st = os.waitpid(pid, 0)
    ok = False
sys.stdout.write(out.decode(errors="replace"))
code = os.waitstatus_to_exitcode(st)
print(f"\nstatus {code if code >= 0 else 128 - code}")
sys.exit(0 if ok else 1)
