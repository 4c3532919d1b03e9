// mahavishnu-guard: the guardian between a pool and each of its worker programs (see
// mahavishnu_spawn in CProcessSpawn.h). A separate executable, so that starting one costs a
// posix_spawn of a few kilobytes rather than a fork of the whole pool.
#include "CProcessSpawn.h"

int main(int argc, char *argv[], char *envp[]) {
    return mahavishnu_guard_main(argc, argv, envp);
}
