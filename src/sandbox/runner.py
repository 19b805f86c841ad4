"""The code interpreter's session process, run inside the sandbox (src/sandbox/session.ts drives it).

It applies its resource limits before reading any code, then runs cells one at a time, each in
the same globals (a session keeps its variables), like a notebook: a trailing expression's value
is shown. Protocol: one JSON request per line on fd 0, one JSON reply per line on fd 3.
  request  {"code": str}
  reply    {"logs": str, "error": bool, "images": [base64 PNG], "files": [{"name", "data"}]}
`logs` holds stdout and stderr interleaved, and the traceback of an exception; `files` the
files under /mnt/data the cell created or changed; `images` the matplotlib figures it left open.
Inputs live read-only in /mnt/inputs and are linked into /mnt/data by name before each cell.
"""
import ast
import base64
import io
import json
import linecache
import math
import os
import resource
import signal
import sys
import traceback

LIMITS = json.loads(sys.argv[1])
RUNNER = os.getpid()
DATA = "/mnt/data"
INPUTS = "/mnt/inputs"


def apply_limits():
    for name, value in (
        ("RLIMIT_AS", LIMITS["memory_bytes"]),
        ("RLIMIT_NPROC", LIMITS["processes"]),
        ("RLIMIT_FSIZE", LIMITS["file_bytes"]),
        ("RLIMIT_CPU", LIMITS["session_cpu_seconds"]),
        ("RLIMIT_NOFILE", 256),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))


class CpuLimitExceeded(Exception):
    pass


def on_cpu_limit(signum, frame):
    # The kernel repeats SIGXCPU every second past the soft limit: one exception is enough.
    hard = LIMITS["session_cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    raise CpuLimitExceeded(f"CPU time limit exceeded ({LIMITS['cell_cpu_seconds']} s per call)")


def allow_cpu_for_one_cell():
    """RLIMIT_CPU counts the whole process: the soft limit moves up by one cell's budget each time.
    Past the soft limit the cell gets SIGXCPU (raised here as an exception); the hard limit, set
    once for the session, ends the process whatever the code does with the soft one."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    hard = LIMITS["session_cpu_seconds"]
    # Whole seconds: rounding what was used down would leave the next cell a fraction of its budget.
    soft = min(hard, math.ceil(used.ru_utime + used.ru_stime) + LIMITS["cell_cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


class Capture(io.TextIOBase):
    """stdout and stderr of a cell, in order, kept up to the output limit; the rest is counted."""

    def __init__(self, limit):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[output truncated: {self.dropped} more characters over the {self.limit}-character limit]"
        return out


def link_inputs():
    for name in os.listdir(INPUTS):
        target = os.path.join(DATA, name)
        if not os.path.lexists(target):
            os.symlink(os.path.join(INPUTS, name), target)


def data_files():
    found = {}
    for root, _, names in os.walk(DATA):
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path) and os.path.isfile(path):
                st = os.stat(path)
                found[os.path.relpath(path, DATA)] = (st.st_mtime_ns, st.st_size)
    return found


def open_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    images = []
    for num in plt.get_fignums():
        buf = io.BytesIO()
        plt.figure(num).savefig(buf, format="png")
        images.append(base64.b64encode(buf.getvalue()).decode())
    plt.close("all")
    return images


def run_cell(code, name, scope):
    """Runs a cell; returns whether it raised. A trailing expression is evaluated and shown."""
    # Its source in linecache, so tracebacks quote its lines (functions of earlier cells too).
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    try:
        tree = ast.parse(code, name, "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, name, "exec"), scope)
        if os.getpid() != RUNNER:
            # A process the cell forked ends with it; only the runner answers.
            os._exit(0)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), scope)
            if value is not None:
                print(repr(value))
        return False
    except BaseException as e:  # noqa: BLE001 - everything the cell raises is its output
        if os.getpid() != RUNNER:
            os._exit(1)
        # The runner's own frame is not the user's business: start at the cell's.
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        sys.stderr.write("".join(traceback.format_exception(type(e), e, tb)))
        return True


def main():
    # bubblewrap leaves the descriptors it was given open, and one is a directory outside the
    # sandbox (--ro-bind-fd): from it `..` would lead into the host's tree.
    os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    apply_limits()
    signal.signal(signal.SIGXCPU, on_cpu_limit)
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(3, "w")
    # The cell's own stdin is empty; its prints go to the capture below.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.chdir(DATA)
    scope = {"__name__": "__main__"}
    for n, line in enumerate(requests, 1):
        request = json.loads(line)
        link_inputs()
        before = data_files()
        capture = Capture(LIMITS["output_chars"])
        sys.stdout = sys.stderr = capture
        allow_cpu_for_one_cell()
        try:
            error = run_cell(request["code"], f"<cell {n}>", scope)
            images = open_figures()
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        files = []
        for name, stamp in data_files().items():
            if before.get(name) != stamp:
                with open(os.path.join(DATA, name), "rb") as fh:
                    files.append({"name": name, "data": base64.b64encode(fh.read()).decode()})
        replies.write(json.dumps({"logs": capture.text(), "error": error, "images": images, "files": files}) + "\n")
        replies.flush()


main()
