/* pkttyagent for the duration of a privileged call, so a password prompt works over ssh too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "axpertctl.h"
#include "macros.h"

#ifndef POLKIT_AGENT_BINARY_PATH
#define POLKIT_AGENT_BINARY_PATH "/usr/bin/pkttyagent"
#endif

/* A broken agent must not hang the command: it gets this long to register. */
#define AGENT_READY_TIMEOUT_MSEC 10000

static pid_t agent_pid = 0;

int polkit_agent_open_if_enabled(void)
{
        int fds[2];
        char notify_fd[16];
        pid_t pid;

        if (agent_pid > 0 || !arg_ask_password || arg_host)
                return 0;
        /* root is never asked; the prompt reads stdin, so stdin (not stdout) must be a terminal. */
        if (geteuid() == 0 || !isatty(STDIN_FILENO))
                return 0;
        if (access(POLKIT_AGENT_BINARY_PATH, X_OK) < 0)
                return 0;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        snprintf(notify_fd, sizeof notify_fd, "%d", fds[1]);

        pid = fork();
        if (pid < 0) {
                int e = errno;

                safe_close(fds[0]);
                safe_close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                /* The agent must not outlive us, and must inherit the notify end only. */
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (fcntl(fds[1], F_SETFD, 0) < 0)
                        _exit(127);
                execl(POLKIT_AGENT_BINARY_PATH, POLKIT_AGENT_BINARY_PATH, "--notify-fd", notify_fd,
                      "--fallback", (char *)NULL);
                _exit(127);
        }

        safe_close(fds[1]);
        agent_pid = pid;
        /* The agent closes its end once it is registered with polkit. */
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        (void)poll(&p, 1, AGENT_READY_TIMEOUT_MSEC);
        safe_close(fds[0]);
        return 1;
}

void polkit_agent_close(void)
{
        if (agent_pid <= 0)
                return;
        (void)kill(agent_pid, SIGTERM);
        (void)kill(agent_pid, SIGCONT);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}
