#ifndef MAHAVISHNU_PROCESS_SPAWN_H
#define MAHAVISHNU_PROCESS_SPAWN_H

#include <sys/types.h>

/// Starts the program at `path` with `argv` and `envp` (NULL-terminated) under a guardian, a
/// child of the caller that kills the program's whole process group if the calling process dies
/// (SIGKILL, a crash, the OOM killer), and otherwise exits exactly as the program does (the same
/// status, or the same signal).
///
/// The guardian is the executable at `guardian_path` (`mahavishnu-guard`, a few kilobytes), or,
/// when that is NULL, a fork of the caller (the same guarantee, but forking a large process
/// costs time in proportion to its resident memory: tens of milliseconds for a few hundred megabytes).
/// The guardian leads a process group of its own, so that a signal to the caller's group never
/// reaches it (the caller may itself be a program under a guardian, whose group that guardian kills).
///
/// The program leads a new process group whose id is its pid, with every signal at its default
/// action and none blocked, the descriptors `stdin_fd`, `stdout_fd` and `stderr_fd` as its
/// standard streams and no other of the caller's, and `directory` (unless NULL) as its working
/// directory; it is killed (PR_SET_PDEATHSIG) if the guardian dies. Never involves a shell.
///
/// Returns 0 and stores the guardian's pid (the caller's child: wait for it, watch it) in
/// `*guardian` and the program's (its process group's id: signal it) in `*program`, or returns
/// an errno value (the program's exec failed, say) once the guardian has been reaped. Linux only.
int mahavishnu_spawn(pid_t *guardian, pid_t *program, const char *guardian_path, const char *path, char *const argv[],
                     char *const envp[], const char *directory, int stdin_fd, int stdout_fd, int stderr_fd);

/// The guardian executable's `main`: `mahavishnu-guard POOL_PID PATH ARGV…`, started by
/// `mahavishnu_spawn` with the program's standard streams, its working directory and a report
/// descriptor at 3. Returns only for a wrong command line.
int mahavishnu_guard_main(int argc, char *argv[], char *envp[]);

/// Creates a pipe whose two descriptors are close-on-exec. Returns 0, or an errno value.
int mahavishnu_pipe(int fds[2]);

/// A descriptor that becomes readable when the process `pid` exits (Linux pidfd_open, 5.3 and
/// later); close-on-exec. Returns it, or a negated errno value.
int mahavishnu_pidfd_open(pid_t pid);

#endif
