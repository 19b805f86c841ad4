"""Writes the code sandbox's seccomp filter, as a compiled BPF program, to the file named by argv[1].

Built with libseccomp's own Python bindings (Debian package python3-seccomp) and handed to
bubblewrap (`--seccomp FD`), which loads it before the sandboxed interpreter starts. Everything
is allowed except what a Python cell never needs and an escape would: other socket families
than AF_UNIX, tracing and reading other processes, namespaces, mounts, kernel keyrings, BPF,
perf, io_uring, userfaultfd, modules, reboot and clock setting. Denied calls fail with EPERM.
"""
import errno
import socket
import sys

import seccomp

DENIED = [
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "ioperm", "iopl", "name_to_handle_at", "open_by_handle_at", "fanotify_init",
    "lookup_dcookie", "personality", "uselib",
]

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in DENIED:
    f.add_rule(seccomp.ERRNO(errno.EPERM), name)
# clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to
# clone, whose flags it can (namespace flags are refused there).
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME: any one is refused.
for flag in (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x80):
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
f.add_rule(seccomp.ERRNO(errno.EPERM), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
f.add_rule(seccomp.ERRNO(errno.EPERM), "socketpair", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
# TIOCSTI would push keystrokes into a terminal outside (bwrap --new-session also stops it).
f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, 0x5412))

with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)
