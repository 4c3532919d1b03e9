#define _GNU_SOURCE
#include "CProcessSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// The guardian's descriptor for reports to the pool: numbers, each the program's pid (positive)
// or a failure (a negated errno value). Close-on-exec, so the program's exec closes its copy.
enum { REPORT_FD = 3 };

// From here to mahavishnu_spawn, code runs in a guardian or in a program before its exec; a
// guardian may be the child of a fork of the multithreaded pool: async-signal-safe calls only.

static void report(int value) {
    ssize_t written;
    do { written = write(REPORT_FD, &value, sizeof value); } while (written < 0 && errno == EINTR);
}

/// Reports `error` (an errno value) and ends the process that failed.
static void fail(int error) {
    report(-error);
    _exit(127);
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

/// The program's side of the guardian's fork: leader of a new process group, killed if the
/// guardian dies, no signal blocked; then the program itself.
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

/// The guardian proper, started with the program's standard streams at 0-2, REPORT_FD, every
/// signal at its default action and blocked, leader of a process group of its own (so a signal to
/// the caller's group, even SIGKILL when the caller is itself a guarded program, leaves it to
/// kill the program's group). It starts the program, then waits for whichever
/// ends first. The program: the guardian reaps it and ends the same way. The pool (SIGKILL, a
/// crash, the OOM killer): the guardian kills the program and its whole process group, then exits.
///
/// It watches the pool's pid with a pidfd, not with PR_SET_PDEATHSIG, which fires when the
/// *thread* that forked ends: pools start programs from threads that end with their task.
static void guard(pid_t pool, const char *path, char *const argv[], char *const envp[]) {
    fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
    // Nothing else of the pool's: its sockets, and the pipes of its other children (which would
    // not reach end of file while a guardian held them).
    if (syscall(SYS_close_range, REPORT_FD + 1, ~0U, 0) != 0) {
        for (int fd = REPORT_FD + 1; fd < 65536; fd++) close(fd);
    }
    int poolExit = (int)syscall(SYS_pidfd_open, pool, 0);
    if (poolExit < 0) fail(errno);
    // The pool died before its pidfd opened (that pid may already be another process's).
    if (getppid() != pool) _exit(127);
    pid_t guardian = getpid();
    pid_t program = fork();
    if (program < 0) fail(errno);
    if (program == 0) becomeProgram(guardian, path, argv, envp);
    // Also here, so the group exists before the pool hears of it.
    setpgid(program, program);
    report(program);
    close(REPORT_FD);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    int programExit = (int)syscall(SYS_pidfd_open, program, 0);
    struct pollfd watched[2] = {{.fd = poolExit, .events = POLLIN}, {.fd = programExit, .events = POLLIN}};
    for (;;) {
        int status;
        if (waitpid(program, &status, WNOHANG) == program) mirror(status);
        // Without a pidfd for the program (no descriptor left, say), look again every 100 ms.
        poll(watched, 2, programExit < 0 ? 100 : -1);
        if (watched[0].revents != 0) {
            kill(-program, SIGKILL);
            kill(program, SIGKILL);
            watched[0].fd = -1;
        }
    }
}

int mahavishnu_guard_main(int argc, char *argv[], char *envp[]) {
    if (argc < 4) {
        static const char usage[] = "mahavishnu-guard: started by a pool for each worker program, not by hand\n";
        write(STDERR_FILENO, usage, sizeof usage - 1);
        return 2;
    }
    guard((pid_t)atoi(argv[1]), argv[2], argv + 3, envp);
    return 127;
}

/// Moves `fd` to 10 or above, out of the way of the descriptors being placed.
static int lift(int fd) {
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (lifted < 0) _exit(127);
    return lifted;
}

/// The child of a fork of the pool, made a guardian: what posix_spawn does for the executable one.
static void becomeGuardian(pid_t pool, int report_fd, const char *path, char *const argv[], char *const envp[],
                           const char *directory, int stdin_fd, int stdout_fd, int stderr_fd) {
    setpgid(0, 0);
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        struct sigaction standard = {0};
        standard.sa_handler = SIG_DFL;
        sigaction(signal, &standard, NULL);
    }
    // Lifted first, so placing one never overwrites another; dup2 clears close-on-exec.
    int in = lift(stdin_fd), out = lift(stdout_fd), err = lift(stderr_fd), rep = lift(report_fd);
    if (dup2(rep, REPORT_FD) < 0) _exit(127);
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) fail(errno);
    if (directory != NULL && chdir(directory) != 0) fail(errno);
    guard(pool, path, argv, envp);
}

/// Starts the executable guardian at `guardian_path`: `GUARDIAN POOL_PID PATH ARGV…`.
static int spawnGuardian(pid_t *child, const char *guardian_path, pid_t pool, int report_fd, const char *path,
                         char *const argv[], char *const envp[], const char *directory, int stdin_fd, int stdout_fd, int stderr_fd) {
    int count = 0;
    while (argv[count] != NULL) count++;
    char poolText[16];
    snprintf(poolText, sizeof poolText, "%d", (int)pool);
    char **arguments = malloc(sizeof(char *) * (size_t)(count + 4));
    if (arguments == NULL) return ENOMEM;
    arguments[0] = (char *)guardian_path;
    arguments[1] = poolText;
    arguments[2] = (char *)path;
    for (int i = 0; i <= count; i++) arguments[3 + i] = argv[i];

    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    int result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        free(arguments);
        return result;
    }
    result = posix_spawn_file_actions_init(&actions);
    if (result == 0) {
        sigset_t all;
        sigfillset(&all);
        result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
        if (result == 0) result = posix_spawnattr_setpgroup(&attributes, 0);
        if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
        if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &all);
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, report_fd, REPORT_FD);
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
        if (result == 0 && directory != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, directory);
        if (result == 0) result = posix_spawn(child, guardian_path, &actions, &attributes, arguments, envp);
        posix_spawn_file_actions_destroy(&actions);
    }
    posix_spawnattr_destroy(&attributes);
    free(arguments);
    return result;
}

int mahavishnu_spawn(pid_t *guardian, pid_t *program, const char *guardian_path, const char *path, char *const argv[],
                     char *const envp[], const char *directory, int stdin_fd, int stdout_fd, int stderr_fd) {
    int channel[2];
    if (pipe2(channel, O_CLOEXEC) != 0) return errno;
    pid_t pool = getpid();
    pid_t child = -1;
    int error = 0;
    if (guardian_path != NULL) {
        // Lifted first, so that placing one descriptor never overwrites another.
        int lifted[4] = {-1, -1, -1, -1}, sources[4] = {channel[1], stdin_fd, stdout_fd, stderr_fd};
        for (int i = 0; i < 4 && error == 0; i++) {
            lifted[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, 10);
            if (lifted[i] < 0) error = errno;
        }
        if (error == 0) error = spawnGuardian(&child, guardian_path, pool, lifted[0], path, argv, envp, directory, lifted[1], lifted[2], lifted[3]);
        for (int i = 0; i < 4; i++) if (lifted[i] >= 0) close(lifted[i]);
    } else {
        sigset_t all, previous;
        sigfillset(&all);
        // The guardian starts with every signal blocked: no handler of the pool's runs in it.
        pthread_sigmask(SIG_SETMASK, &all, &previous);
        child = fork();
        if (child == 0) becomeGuardian(pool, channel[1], path, argv, envp, directory, stdin_fd, stdout_fd, stderr_fd);
        error = child < 0 ? errno : 0;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
    }
    close(channel[1]);
    if (error != 0) {
        close(channel[0]);
        return error;
    }
    // The guardian sends the program's pid; either may send a failure. End of file: both are
    // done (the guardian closed its end, the program's exec closed its own).
    int started = 0, value;
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
