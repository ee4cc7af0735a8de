/* The control socket: one text command per line, answered with lines ending "ok" or "error: …". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "gadget-faults.h"
#include "log.h"

#define LINE_MAX_LEN 4096

typedef struct ControlClient ControlClient;

struct ControlClient {
        Control *control;
        int fd;
        sd_event_source *io;
        char in[LINE_MAX_LEN];
        size_t in_len;
        char *out;
        size_t out_len, out_cap;
        bool eof; /* nothing more to read: close once the output is written */
        ControlClient *next, *prev;
};

struct Control {
        Sim *sim;
        int fd;
        char *path;
        sd_event_source *io;
        ControlClient *clients;
};

static void client_free(ControlClient *c)
{
        if (!c)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->control->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->io = sd_event_source_disable_unref(c->io);
        c->fd = safe_close(c->fd);
        free(c->out);
        free(c);
}

static void client_printf(ControlClient *c, const char *format, ...) _printf_(2, 3);
static void client_printf(ControlClient *c, const char *format, ...)
{
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(NULL, 0, format, ap);
        va_end(ap);
        if (n < 0)
                return;
        if (c->out_len + (size_t)n + 1 > c->out_cap) {
                size_t cap = (c->out_len + (size_t)n + 1) * 2;
                char *p = realloc(c->out, cap);
                if (!p) {
                        log_oom();
                        return;
                }
                c->out = p;
                c->out_cap = cap;
        }
        va_start(ap, format);
        vsnprintf(c->out + c->out_len, (size_t)n + 1, format, ap);
        va_end(ap);
        c->out_len += (size_t)n;
}

/* Splits off the next space-separated word; *p moves past it and the spaces after it. */
static char *next_word(char **p)
{
        char *w, *e;

        while (**p == ' ')
                (*p)++;
        if (!**p)
                return NULL;
        w = *p;
        e = strchr(w, ' ');
        if (e) {
                *e = '\0';
                *p = e + 1;
                while (**p == ' ')
                        (*p)++;
        } else
                *p += strlen(w);
        return w;
}

static bool parse_unit(const char *s, int *ret)
{
        char *end;
        long v;

        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end || v < 0 || v > 99)
                return false;
        *ret = (int)v;
        return true;
}

static void dump_line(const char *name, const char *value, void *userdata)
{
        client_printf(userdata, "%s=%s\n", name, value);
}

static void control_dump(ControlClient *c, int unit, const char *rest)
{
        char error[512] = "";

        if (*rest) {
                client_printf(c, "error: dump takes no arguments\n");
                return;
        }
        /* One answer, built in one go: nothing can change between the first and the last line. */
        if (model_dump(c->control->sim->model, unit, dump_line, c, error, sizeof error) < 0) {
                client_printf(c, "error: %s\n", error);
                return;
        }
        client_printf(c, "ok\n");
}

/* Whole-string decimal milliseconds in [min, SIM_TIME_MSEC_MAX]. */
static int parse_msec(const char *s, unsigned long min, uint64_t *ret)
{
        char *end;
        unsigned long v;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v < min || v > SIM_TIME_MSEC_MAX)
                return -ERANGE;
        *ret = v * USEC_PER_MSEC;
        return 0;
}

static void control_time(ControlClient *c, const char *verb, char *p, uint64_t *value,
                         unsigned long min)
{
        Sim *sim = c->control->sim;
        char *arg = next_word(&p);
        uint64_t usec;

        if (!arg) {
                client_printf(c, "%s=%llu\nok\n", verb,
                              (unsigned long long)(*value / USEC_PER_MSEC));
                return;
        }
        if (*p || parse_msec(arg, min, &usec) < 0) {
                client_printf(c, "error: usage: %s [MSEC] (%lu-%d milliseconds)\n", verb, min,
                              SIM_TIME_MSEC_MAX);
                return;
        }
        *value = usec;
        log_info("Control: %s %s.", verb, arg);
        /* The trickle pace applies to what is on the line now; a late answer keeps the start
         * time it was given when it was queued. */
        if (value == &sim->trickle_usec && sim->fault == SIM_FAULT_TRICKLE)
                sim_output_repace(sim);
        client_printf(c, "ok\n");
}

static void control_rule(ControlClient *c, SimRuleKind kind, const char *verb, char *p)
{
        Sim *sim = c->control->sim;
        char *command = next_word(&p), *n = next_word(&p), error[256] = "";
        unsigned long count = 1;

        if (!command || *p) {
                client_printf(c, "error: usage: %s COMMAND [N]\n", verb);
                return;
        }
        if (n) {
                char *end;

                errno = 0;
                count = *n >= '0' && *n <= '9' ? strtoul(n, &end, 10) : 0;
                if (errno != 0 || count == 0 || *end || count > SIM_RULE_COUNT_MAX) {
                        client_printf(c, "error: %s: \"%s\" is not a count 1-%d\n", verb, n,
                                      SIM_RULE_COUNT_MAX);
                        return;
                }
        }
        if (sim_rule_add(sim, kind, command, (unsigned)count, error, sizeof error) < 0) {
                client_printf(c, "error: %s: %s\n", verb, error);
                return;
        }
        log_info("Control: %s %s %lu.", verb, command, count);
        client_printf(c, "ok\n");
}

static void control_field(ControlClient *c, int unit, const char *verb, char *rest)
{
        Sim *sim = c->control->sim;
        char error[512] = "", value[512];
        char *name = next_word(&rest);
        int r;

        if (!name) {
                client_printf(c, "error: %s needs a field name\n", verb);
                return;
        }
        if (streq(verb, "get")) {
                if (*rest) {
                        client_printf(c, "error: get takes one field name\n");
                        return;
                }
                r = model_get_text(sim->model, unit, name, value, sizeof value, error,
                                   sizeof error);
                if (r < 0)
                        client_printf(c, "error: %s\n", error);
                else
                        client_printf(c, "%s=%s\nok\n", name, value);
                return;
        }
        if (!*rest) {
                client_printf(c, "error: set needs a value: set NAME VALUE\n");
                return;
        }
        r = model_set_text(sim->model, unit, name, rest, error, sizeof error);
        if (r < 0) {
                client_printf(c, "error: %s\n", error);
                return;
        }
        if (unit >= 0)
                log_info("Control: unit %d set %s %s.", unit, name, rest);
        else
                log_info("Control: set %s %s.", name, rest);
        client_printf(c, "ok\n");
}

static void control_line(ControlClient *c, char *line)
{
        Sim *sim = c->control->sim;
        char *p = line, *verb;
        int r;

        verb = next_word(&p);
        if (!verb)
                return; /* empty line */
        /* Whatever the line changes or shows, the energy up to now is booked first. */
        if (sim->model)
                model_energy_update(sim->model);

        if (streq(verb, "fault")) {
                char *name = next_word(&p);
                if (!name || *p) {
                        client_printf(c, "error: usage: fault NAME (one of: %s)\n",
                                      sim_fault_names());
                        return;
                }
                if (streq(name, "unplug")) {
                        sim_gadget_faults_forget();
                        sim_unplug(sim);
                        client_printf(c, "ok\n");
                        return;
                }
                if (streq(name, "replug")) {
                        verb = name;
                        goto replug;
                }
                r = sim_fault_from_string(name);
                if (r < 0) {
                        client_printf(c, "error: unknown fault \"%s\" (one of: %s unplug replug)\n",
                                      name, sim_fault_names());
                        return;
                }
                sim_set_fault(sim, (SimFault)r);
                client_printf(c, "ok\n");
        } else if (streq(verb, "unplug")) {
                if (*p) {
                        client_printf(c, "error: unplug takes no arguments\n");
                        return;
                }
                sim_gadget_faults_forget();
                sim_unplug(sim);
                client_printf(c, "ok\n");
        } else if (streq(verb, "replug")) {
                if (*p) {
                        client_printf(c, "error: replug takes no arguments\n");
                        return;
                }
        replug:
                sim_gadget_faults_forget();
                r = sim_replug(sim);
                if (r < 0)
                        client_printf(c, "error: replug failed: %s\n", strerror(-r));
                else
                        client_printf(c, "ok\n");
        } else if (streq(verb, "set") || streq(verb, "get")) {
                control_field(c, -1, verb, p);
        } else if (streq(verb, "dump")) {
                control_dump(c, -1, p);
        } else if (streq(verb, "late-time")) {
                control_time(c, verb, p, &sim->late_usec, 0);
        } else if (streq(verb, "trickle-time")) {
                control_time(c, verb, p, &sim->trickle_usec, 1);
        } else if (streq(verb, "nak-next")) {
                control_rule(c, SIM_RULE_NAK, verb, p);
        } else if (streq(verb, "silence-next")) {
                control_rule(c, SIM_RULE_SILENCE, verb, p);
        } else if (streq(verb, "next")) {
                char *arg = next_word(&p);

                if (arg && streq(arg, "clear") && !*p) {
                        sim_rules_clear(sim);
                        client_printf(c, "ok\n");
                } else if (arg) {
                        client_printf(c, "error: usage: next [clear]\n");
                } else {
                        for (size_t i = 0; i < sim->n_rules; i++)
                                client_printf(c, "%s %s %u\n",
                                              sim_rule_kind_to_string(sim->rules[i].kind),
                                              sim->rules[i].command, sim->rules[i].count);
                        client_printf(c, "ok\n");
                }
        } else if (streq(verb, "renumber")) {
                const char *old;

                if (*p) {
                        client_printf(c, "error: renumber takes no arguments\n");
                        return;
                }
                r = sim_gadget_renumber(sim, &old);
                if (r == -EOPNOTSUPP)
                        client_printf(c, "error: renumber needs --hidg-gadget=NAME\n");
                else if (r < 0)
                        client_printf(c, "error: renumber failed: %s\n", strerror(-r));
                else
                        client_printf(c, "held=%s\nok\n", old);
        } else if (streq(verb, "flush")) {
                if (*p) {
                        client_printf(c, "error: flush takes no arguments\n");
                        return;
                }
                log_info("Control: flush, dropping %zu queued answer(s).", sim_output_queued(sim));
                sim_output_reset(sim);
                client_printf(c, "ok\n");
        } else if (streq(verb, "status")) {
                if (*p) {
                        client_printf(c, "error: status takes no arguments\n");
                        return;
                }
                client_printf(c,
                              "fault=%s\nplugged=%s\nwedged=%s\nlate-time=%llu\n"
                              "trickle-time=%llu\nqueued=%zu\nrules=%zu\nrequests=%zu\n"
                              "usb-resets=%u\nok\n",
                              sim_fault_to_string(sim->fault), sim->plugged ? "true" : "false",
                              sim->wedged ? "true" : "false",
                              (unsigned long long)(sim->late_usec / USEC_PER_MSEC),
                              (unsigned long long)(sim->trickle_usec / USEC_PER_MSEC),
                              sim_output_queued(sim), sim->n_rules, sim->n_history,
                              sim_gadget_usb_resets());
        } else if (streq(verb, "unit")) {
                char *n = next_word(&p), *v = next_word(&p);
                int unit;

                if (!parse_unit(n, &unit) || !v ||
                    (!streq(v, "set") && !streq(v, "get") && !streq(v, "dump"))) {
                        client_printf(c, "error: usage: unit N set NAME VALUE | unit N get NAME "
                                         "| unit N dump\n");
                        return;
                }
                if (streq(v, "dump"))
                        control_dump(c, unit, p);
                else
                        control_field(c, unit, v, p);
        } else if (streq(verb, "history")) {
                char *arg = next_word(&p);
                if (arg && streq(arg, "clear") && !*p) {
                        sim_history_clear(sim);
                        client_printf(c, "ok\n");
                } else if (arg) {
                        client_printf(c, "error: usage: history [clear]\n");
                } else {
                        for (size_t i = 0; i < sim->n_history; i++)
                                client_printf(c, "%s\n", sim->history[i]);
                        client_printf(c, "ok\n");
                }
        } else if (streq(verb, "energy")) {
                const ModelEnergy *e;

                if (*p) {
                        client_printf(c, "error: energy takes no arguments\n");
                        return;
                }
                if (!sim->model) {
                        client_printf(c, "error: a replay has no model and no energy\n");
                        return;
                }
                e = &sim->model->energy;
                client_printf(c,
                              "pv_wh=%.17g load_wh=%.17g battery_charge_wh=%.17g "
                              "battery_discharge_wh=%.17g grid_wh=%.17g\nok\n",
                              e->pv_wh, e->load_wh, e->battery_charge_wh, e->battery_discharge_wh,
                              e->grid_wh);
        } else if (streq(verb, "count")) {
                if (*p) {
                        client_printf(c, "error: count takes no arguments\n");
                        return;
                }
                client_printf(c, "requests=%zu\nok\n", sim->n_history);
        } else if (streq(verb, "help")) {
                client_printf(c,
                              "fault NAME (%s)\nunplug\nreplug\nset NAME VALUE\nget NAME\n"
                              "dump\nunit N set NAME VALUE\nunit N get NAME\nunit N dump\n"
                              "late-time [MSEC]\ntrickle-time [MSEC]\nnak-next COMMAND [N]\n"
                              "silence-next COMMAND [N]\nnext [clear]\nflush\nstatus\n"
                              "history [clear]\ncount\nenergy\nrenumber\nok\n",
                              sim_fault_names());
        } else {
                client_printf(c, "error: unknown command \"%s\" (try \"help\")\n", verb);
        }
}

static void client_update_events(ControlClient *c)
{
        uint32_t events = (c->eof ? 0 : EPOLLIN) | (c->out_len > 0 ? EPOLLOUT : 0);

        if (events == 0) {
                client_free(c);
                return;
        }
        (void)sd_event_source_set_io_events(c->io, events);
}

static int client_flush(ControlClient *c)
{
        while (c->out_len > 0) {
                ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return -errno;
                }
                memmove(c->out, c->out + n, c->out_len - (size_t)n);
                c->out_len -= (size_t)n;
        }
        return 0;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        ControlClient *c = userdata;

        if (revents & EPOLLIN && !c->eof) {
                ssize_t n = recv(fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);

                if (n == 0)
                        c->eof = true;
                else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                        client_free(c);
                        return 0;
                } else if (n > 0) {
                        char *nl;

                        c->in_len += (size_t)n;
                        while ((nl = memchr(c->in, '\n', c->in_len))) {
                                size_t l = (size_t)(nl - c->in);

                                *nl = '\0';
                                if (l > 0 && c->in[l - 1] == '\r')
                                        c->in[l - 1] = '\0';
                                if (memchr(c->in, '\0', l))
                                        client_printf(c, "error: NUL byte in command\n");
                                else
                                        control_line(c, c->in);
                                memmove(c->in, nl + 1, c->in_len - l - 1);
                                c->in_len -= l + 1;
                        }
                        if (c->in_len == sizeof c->in) {
                                client_printf(c, "error: line longer than %d bytes\n",
                                              LINE_MAX_LEN - 1);
                                c->in_len = 0;
                                c->eof = true;
                        }
                }
        }

        if (client_flush(c) < 0) {
                client_free(c);
                return 0;
        }
        client_update_events(c);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Control *control = userdata;
        ControlClient *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(errno,
                                          "Failed to accept a control connection, ignoring: %s",
                                          ERRSTR(errno));
                return 0;
        }
        c = calloc(1, sizeof *c);
        if (!c) {
                safe_close(cfd);
                log_oom();
                return 0;
        }
        c->control = control;
        c->fd = cfd;
        r = sd_event_add_io(control->sim->event, &c->io, cfd, EPOLLIN, on_client_io, c);
        if (r < 0) {
                safe_close(cfd);
                free(c);
                log_warning_errno(r, "Failed to watch a control connection, ignoring: %s",
                                  ERRSTR(r));
                return 0;
        }
        c->next = control->clients;
        if (c->next)
                c->next->prev = c;
        control->clients = c;
        return 0;
}

int control_new(Sim *sim, const char *path, Control **ret)
{
        _cleanup_(control_freep) Control *c = NULL;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        int r;

        /* Bound under a temporary name and renamed once it listens: a client that sees the
         * path can connect (no ECONNREFUSED window between bind() and listen()). */
        if (strlen(path) + strlen(".new") >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "--control=%s: path too long (max %zu).", path,
                                       sizeof sa.sun_path - 1 - strlen(".new"));
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s.new", path);

        c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->sim = sim;
        c->fd = -1;

        /* A socket left behind by an earlier run may go; anything else is not ours to delete. */
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(EEXIST, "--control=%s: exists and is not a socket.",
                                               path);
                (void)unlink(path);
        }

        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0)
                return log_error_errno(errno, "Failed to create the control socket: %s",
                                       ERRSTR(errno));
        (void)unlink(sa.sun_path); /* a temporary name left by a killed run */
        if (bind(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                return log_error_errno(errno, "--control=%s: cannot bind: %s", path, ERRSTR(errno));
        if (listen(c->fd, 16) < 0 || rename(sa.sun_path, path) < 0) {
                int e = errno;
                (void)unlink(sa.sun_path);
                return log_error_errno(e, "--control=%s: cannot listen: %s", path, ERRSTR(e));
        }
        c->path = strdup(path);
        if (!c->path)
                return log_oom();
        r = sd_event_add_io(sim->event, &c->io, c->fd, EPOLLIN, on_accept, c);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the control socket: %s", ERRSTR(r));
        /* Our own USB gadget: the host's resets are watched (they clear "fault wedge"). */
        if (sim->hidg_gadget_name) {
                r = sim_gadget_faults_start(sim);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the UDC: %s", ERRSTR(r));
        }

        *ret = c; /* ownership moves to the caller */
        c = NULL;
        return 0;
}

Control *control_free(Control *c)
{
        if (!c)
                return NULL;
        while (c->clients)
                client_free(c->clients);
        sim_gadget_faults_stop();
        c->io = sd_event_source_disable_unref(c->io);
        if (c->path) {
                (void)unlink(c->path);
                free(c->path);
        }
        c->fd = safe_close(c->fd);
        free(c);
        return NULL;
}
