#ifndef MAHAVISHNU_PROCESS_SPAWN_H
#define MAHAVISHNU_PROCESS_SPAWN_H

#include <sys/types.h>

/// Starts the program at `path` with `argv` and `envp` (NULL-terminated) in a new process group
/// whose id is the child's pid, with every signal at its default action and none blocked, the
/// descriptors `stdin_fd`, `stdout_fd` and `stderr_fd` as its standard streams, and `directory`
/// (unless NULL) as its working directory. Never involves a shell.
/// Returns 0 and stores the pid in `*pid`, or returns an errno value.
int mahavishnu_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                     const char *directory, int stdin_fd, int stdout_fd, int stderr_fd);

/// Creates a pipe whose two descriptors are close-on-exec. Returns 0, or an errno value.
int mahavishnu_pipe(int fds[2]);

/// A descriptor that becomes readable when the process `pid` exits (Linux pidfd_open, 5.3 and
/// later); close-on-exec. Returns it, or a negated errno value.
int mahavishnu_pidfd_open(pid_t pid);

#endif
