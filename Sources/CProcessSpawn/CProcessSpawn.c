#define _GNU_SOURCE
#include "CProcessSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Everything from here to mahavishnu_spawn runs in the child of a fork of a multithreaded
// process (the guardian, or the program before its exec): async-signal-safe calls only, no malloc.

/// Where the guardian and the program report to the pool: the pipe's write end.
static int reportTo = -1;

/// Sends one number to the pool: the program's pid (positive) or a failure (a negated errno).
static void report(int value) {
    ssize_t written;
    do { written = write(reportTo, &value, sizeof value); } while (written < 0 && errno == EINTR);
}

/// Reports `error` (an errno value) and ends the process that failed.
static void fail(int error) {
    report(-error);
    _exit(127);
}

/// Moves `fd` to 10 or above, out of the way of the standard streams.
static int lift(int fd) {
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (lifted < 0) fail(errno);
    return lifted;
}

/// Ends the guardian the way `status` says the program ended: the same exit status, or the same
/// signal (without dumping the guardian's core).
static void mirror(int status) {
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    int signal = WTERMSIG(status);
    struct rlimit noCore = {0, 0};
    setrlimit(RLIMIT_CORE, &noCore);
    kill(getpid(), signal);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    _exit(128 + signal);
}

/// The program's side of the second fork: leader of a new process group, killed if the guardian
/// dies, every signal at its default action and none blocked; then the program itself.
static void becomeProgram(pid_t guardian, const char *path, char *const argv[], char *const envp[]) {
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno);
    // The guardian died before the line above: nothing would kill this process with it.
    if (getppid() != guardian) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, envp);
    fail(errno);
}

/// The guardian: the pool's child, and the parent of the program. It starts the program, then
/// waits for whichever ends first. The program: the guardian reaps it and ends the same way. The
/// pool (SIGKILL, a crash, the OOM killer): the guardian kills the program's whole process group
/// and then exits, so nothing the pool started outlives it.
///
/// It watches the pool's pid with a pidfd, not with PR_SET_PDEATHSIG: that fires when the *thread*
/// that forked ends, and the pool starts programs from threads that end with their task.
static void guard(pid_t pool, const char *path, char *const argv[], char *const envp[],
                  const char *directory, int stdin_fd, int stdout_fd, int stderr_fd) {
    // The dispositions the program inherits (the pool ignores SIGPIPE, say); every signal stays
    // blocked in the guardian, so the pool's SIGTERM to the program's group does not end it.
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        struct sigaction standard = {0};
        standard.sa_handler = SIG_DFL;
        sigaction(signal, &standard, NULL);
    }
    int poolExit = (int)syscall(SYS_pidfd_open, pool, 0);
    if (poolExit < 0) fail(errno);
    // The pool died before its pidfd opened (that pid may already be another process's).
    if (getppid() != pool) _exit(127);
    // Lifted before placing, so placing one never overwrites another; dup2 clears close-on-exec.
    int in = lift(stdin_fd), out = lift(stdout_fd), err = lift(stderr_fd);
    reportTo = lift(reportTo);
    poolExit = lift(poolExit);
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) fail(errno);
    if (dup2(reportTo, 3) < 0 || dup2(poolExit, 4) < 0) fail(errno);
    reportTo = 3;
    poolExit = 4;
    fcntl(3, F_SETFD, FD_CLOEXEC);
    fcntl(4, F_SETFD, FD_CLOEXEC);
    // Nothing else of the pool's: its sockets, and the pipes of its other children (which would
    // never reach end of file while a guardian held them).
    if (syscall(SYS_close_range, 5, ~0U, 0) != 0) {
        for (int fd = 5; fd < 65536; fd++) close(fd);
    }
    if (directory != NULL && chdir(directory) != 0) fail(errno);
    pid_t guardian = getpid();
    pid_t program = fork();
    if (program < 0) fail(errno);
    if (program == 0) becomeProgram(guardian, path, argv, envp);
    // Also here, so the group exists before the pool hears of it.
    setpgid(program, program);
    report(program);
    close(3);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    int programExit = (int)syscall(SYS_pidfd_open, program, 0);
    struct pollfd watched[2] = {{.fd = poolExit, .events = POLLIN}, {.fd = programExit, .events = POLLIN}};
    for (;;) {
        int status;
        if (waitpid(program, &status, WNOHANG) == program) mirror(status);
        // Without a pidfd for the program (none left, say), look again every 100 ms.
        poll(watched, 2, programExit < 0 ? 100 : -1);
        if (watched[0].revents != 0) {
            kill(-program, SIGKILL);
            kill(program, SIGKILL);
            watched[0].fd = -1;
        }
    }
}

int mahavishnu_spawn(pid_t *guardian, pid_t *program, const char *path, char *const argv[], char *const envp[],
                     const char *directory, int stdin_fd, int stdout_fd, int stderr_fd) {
    int channel[2];
    if (pipe2(channel, O_CLOEXEC) != 0) return errno;
    pid_t pool = getpid();
    sigset_t all, previous;
    sigfillset(&all);
    // No handler of the pool's may run in the guardian.
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = fork();
    if (child == 0) {
        close(channel[0]);
        reportTo = channel[1];
        guard(pool, path, argv, envp, directory, stdin_fd, stdout_fd, stderr_fd);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(channel[1]);
    if (child < 0) {
        close(channel[0]);
        return forkError;
    }
    // The guardian sends the program's pid; either may send a failure. End of file: both are
    // done (the guardian closed its end, the program's exec closed its own).
    int started = 0, error = 0, value;
    ssize_t got;
    while ((got = read(channel[0], &value, sizeof value)) != 0) {
        if (got < 0 && errno == EINTR) continue;
        if (got != sizeof value) {
            error = got < 0 ? errno : EIO;
            break;
        }
        if (value > 0) started = value; else error = -value;
    }
    close(channel[0]);
    if (error == 0 && started == 0) error = ECHILD;
    if (error != 0) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return error;
    }
    *guardian = child;
    *program = started;
    return 0;
}

int mahavishnu_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}

int mahavishnu_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd >= 0 ? (int)fd : -errno;
}
