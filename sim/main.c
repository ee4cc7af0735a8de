/* axpert-sim: command line, event loop and start-up of the inverter simulator. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "replay.h"
#include "scenario.h"
#include "sim.h"

static const char *arg_pty;
static int arg_seqpacket = -1;
static bool arg_uhid;
static const char *arg_hidg;
static const char *arg_hidg_gadget;
static bool arg_hidg_out_endpoint;
static unsigned arg_baud = 2400;
static uint64_t arg_think_usec;
static uint64_t arg_late_usec = SIM_LATE_USEC_DEFAULT;
static uint64_t arg_trickle_usec = SIM_TRICKLE_USEC_DEFAULT;
static unsigned arg_units = 1;
static unsigned arg_battery = 48;
static ModelKind arg_model = MODEL_CLASSIC;
static ScenarioKind arg_scenario = SCENARIO_STATIC;
static uint64_t arg_day_usec = 120 * USEC_PER_SEC;
static int arg_fault = SIM_FAULT_NONE;
static bool arg_start_unplugged;
static const char *arg_replay;
static const char *arg_control;

static void help(void)
{
        printf("%s (--pty=LINK | --seqpacket=FD | --uhid | --hidg=DEV | --hidg-gadget=NAME) "
               "[OPTIONS…]\n\n"
               "Simulates a Voltronic/Axpert PI30 inverter for development, demos and tests.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --pty=LINK           Serve a pseudo-terminal; keep the symlink LINK on it\n"
               "     --seqpacket=FD       Serve 8-byte reports on an inherited SOCK_SEQPACKET fd\n"
               "     --uhid               Create a real /dev/hidrawN (0665:5161) via /dev/uhid\n"
               "     --hidg=DEV           Be the device side of a USB HID gadget (/dev/hidgN)\n"
               "     --hidg-gadget=NAME   Create the gadget NAME in configfs (0665:5161 like the\n"
               "                          inverters' bridge), bind it to the first UDC, serve it\n"
               "     --hidg-out-endpoint  Give that gadget an interrupt OUT endpoint (the bridge\n"
               "                          has none: its outputs are SET_REPORT transfers)\n"
               "     --baud=N             Pace answers like a UART at N baud 8N1 (2400; 0 = "
               "instant)\n"
               "     --think-time=MSEC    Firmware think time before each answer (0)\n"
               "     --late-time=MSEC     Extra delay of every answer under fault late (1500)\n"
               "     --trickle-time=MSEC  Time per byte (HID: per report) under fault trickle "
               "(900)\n"
               "     --units=N            Units of a parallel system, 1-%d (1 = single inverter)\n"
               "     --battery=12|24|48   Battery bank voltage (48)\n"
               "     --model=classic|max  21-field classic unit or 24-field Axpert MAX (classic)\n"
               "     --scenario=static|day Fixed values, or a compressed solar day (static)\n"
               "     --day-length=SECONDS One simulated day for --scenario=day (120)\n"
               "     --fault=NAME         Start with a fault: %s unplug\n"
               "     --replay=FILE        Serve exact answers from a corpus.tsv-style transcript\n"
               "     --control=SOCKET     Listen for control commands on this AF_UNIX socket\n",
               program_invocation_short_name, MODEL_UNITS_MAX, sim_fault_names());
}

/* Whole-string unsigned decimal; no sign, no spaces, no trailing junk. */
static int parse_unsigned(const char *s, unsigned long max, unsigned long *ret)
{
        char *end;
        unsigned long v;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_argv(int argc, char *argv[])
{
        enum {
                ARG_VERSION = 0x100,
                ARG_PTY,
                ARG_SEQPACKET,
                ARG_UHID,
                ARG_HIDG,
                ARG_HIDG_GADGET,
                ARG_HIDG_OUT_ENDPOINT,
                ARG_BAUD,
                ARG_THINK,
                ARG_LATE,
                ARG_TRICKLE,
                ARG_UNITS,
                ARG_BATTERY,
                ARG_MODEL,
                ARG_SCENARIO,
                ARG_DAY,
                ARG_FAULT,
                ARG_REPLAY,
                ARG_CONTROL,
        };
        static const struct option options[] = {
                        {"help", no_argument, NULL, 'h'},
                        {"version", no_argument, NULL, ARG_VERSION},
                        {"pty", required_argument, NULL, ARG_PTY},
                        {"seqpacket", required_argument, NULL, ARG_SEQPACKET},
                        {"uhid", no_argument, NULL, ARG_UHID},
                        {"hidg", required_argument, NULL, ARG_HIDG},
                        {"hidg-gadget", required_argument, NULL, ARG_HIDG_GADGET},
                        {"hidg-out-endpoint", no_argument, NULL, ARG_HIDG_OUT_ENDPOINT},
                        {"baud", required_argument, NULL, ARG_BAUD},
                        {"think-time", required_argument, NULL, ARG_THINK},
                        {"late-time", required_argument, NULL, ARG_LATE},
                        {"trickle-time", required_argument, NULL, ARG_TRICKLE},
                        {"units", required_argument, NULL, ARG_UNITS},
                        {"battery", required_argument, NULL, ARG_BATTERY},
                        {"model", required_argument, NULL, ARG_MODEL},
                        {"scenario", required_argument, NULL, ARG_SCENARIO},
                        {"day-length", required_argument, NULL, ARG_DAY},
                        {"fault", required_argument, NULL, ARG_FAULT},
                        {"replay", required_argument, NULL, ARG_REPLAY},
                        {"control", required_argument, NULL, ARG_CONTROL},
                        {NULL, 0, NULL, 0}};
        unsigned long v;
        int c, r, n_transports = 0;

        /* getopt's own messages would lack our "<3>" prefix; we report errors ourselves. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("axpert-sim %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_PTY:
                        if (!*optarg)
                                return log_error_errno(EINVAL, "--pty= needs a path for the link.");
                        arg_pty = optarg;
                        n_transports++;
                        break;
                case ARG_SEQPACKET:
                        if (parse_unsigned(optarg, 1 << 20, &v) < 0 || v < 3)
                                return log_error_errno(EINVAL,
                                                       "--seqpacket=\"%s\": expected an inherited "
                                                       "file descriptor number (3 or more).",
                                                       optarg);
                        arg_seqpacket = (int)v;
                        n_transports++;
                        break;
                case ARG_UHID:
                        arg_uhid = true;
                        n_transports++;
                        break;
                case ARG_HIDG:
                        if (!*optarg)
                                return log_error_errno(EINVAL,
                                                       "--hidg= needs the gadget's device node "
                                                       "(/dev/hidgN).");
                        arg_hidg = optarg;
                        n_transports++;
                        break;
                case ARG_HIDG_GADGET:
                        if (!*optarg || strchr(optarg, '/') || streq(optarg, ".") ||
                            streq(optarg, "..") || strlen(optarg) > 64)
                                return log_error_errno(EINVAL,
                                                       "--hidg-gadget=\"%s\": expected a gadget "
                                                       "name (no \"/\", at most 64 bytes).",
                                                       optarg);
                        arg_hidg_gadget = optarg;
                        n_transports++;
                        break;
                case ARG_HIDG_OUT_ENDPOINT:
                        arg_hidg_out_endpoint = true;
                        break;
                case ARG_BAUD:
                        if (parse_unsigned(optarg, 4000000, &v) < 0)
                                return log_error_errno(EINVAL,
                                                       "--baud=\"%s\": expected 0 (instant) or a "
                                                       "rate up to 4000000.",
                                                       optarg);
                        arg_baud = (unsigned)v;
                        break;
                case ARG_THINK:
                        if (parse_unsigned(optarg, 60000, &v) < 0)
                                return log_error_errno(EINVAL,
                                                       "--think-time=\"%s\": expected 0-60000 "
                                                       "milliseconds.",
                                                       optarg);
                        arg_think_usec = v * USEC_PER_MSEC;
                        break;
                case ARG_LATE:
                        if (parse_unsigned(optarg, SIM_TIME_MSEC_MAX, &v) < 0)
                                return log_error_errno(EINVAL,
                                                       "--late-time=\"%s\": expected 0-%d "
                                                       "milliseconds.",
                                                       optarg, SIM_TIME_MSEC_MAX);
                        arg_late_usec = v * USEC_PER_MSEC;
                        break;
                case ARG_TRICKLE:
                        if (parse_unsigned(optarg, SIM_TIME_MSEC_MAX, &v) < 0 || v < 1)
                                return log_error_errno(EINVAL,
                                                       "--trickle-time=\"%s\": expected 1-%d "
                                                       "milliseconds.",
                                                       optarg, SIM_TIME_MSEC_MAX);
                        arg_trickle_usec = v * USEC_PER_MSEC;
                        break;
                case ARG_UNITS:
                        if (parse_unsigned(optarg, MODEL_UNITS_MAX, &v) < 0 || v < 1)
                                return log_error_errno(EINVAL, "--units=\"%s\": expected 1-%d.",
                                                       optarg, MODEL_UNITS_MAX);
                        arg_units = (unsigned)v;
                        break;
                case ARG_BATTERY:
                        if (parse_unsigned(optarg, 48, &v) < 0 || (v != 12 && v != 24 && v != 48))
                                return log_error_errno(EINVAL,
                                                       "--battery=\"%s\": expected 12, 24 or 48.",
                                                       optarg);
                        arg_battery = (unsigned)v;
                        break;
                case ARG_MODEL:
                        r = model_kind_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(EINVAL,
                                                       "--model=\"%s\": expected classic or max.",
                                                       optarg);
                        arg_model = (ModelKind)r;
                        break;
                case ARG_SCENARIO:
                        r = scenario_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(EINVAL,
                                                       "--scenario=\"%s\": expected static or day.",
                                                       optarg);
                        arg_scenario = (ScenarioKind)r;
                        break;
                case ARG_DAY:
                        if (parse_unsigned(optarg, 86400, &v) < 0 || v < 2)
                                return log_error_errno(EINVAL,
                                                       "--day-length=\"%s\": expected 2-86400 "
                                                       "seconds.",
                                                       optarg);
                        arg_day_usec = v * USEC_PER_SEC;
                        break;
                case ARG_FAULT:
                        if (streq(optarg, "unplug")) {
                                arg_start_unplugged = true;
                                break;
                        }
                        r = sim_fault_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(
                                                EINVAL,
                                                "--fault=\"%s\": expected one of: %s unplug.",
                                                optarg, sim_fault_names());
                        arg_fault = r;
                        break;
                case ARG_REPLAY:
                        arg_replay = optarg;
                        break;
                case ARG_CONTROL:
                        if (!*optarg)
                                return log_error_errno(EINVAL, "--control= needs a socket path.");
                        arg_control = optarg;
                        break;
                case '?':
                        if (optopt)
                                return log_error_errno(EINVAL, "Option -%c is not known.", optopt);
                        return log_error_errno(EINVAL,
                                               "Option \"%s\" is not known or lacks its argument.",
                                               argv[optind - 1]);
                default:
                        return log_error_errno(EINVAL, "Unhandled option.");
                }
        }

        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument \"%s\".", argv[optind]);
        if (arg_hidg_out_endpoint && !arg_hidg_gadget)
                return log_error_errno(EINVAL, "--hidg-out-endpoint needs --hidg-gadget=NAME.");
        if (n_transports != 1)
                return log_error_errno(EINVAL,
                                       "Exactly one of --pty=LINK, --seqpacket=FD, --uhid, "
                                       "--hidg=DEV or --hidg-gadget=NAME is needed (see "
                                       "--help).");
        return 1;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Sim *sim = userdata;

        log_info("Received signal %u, exiting.", si->ssi_signo);
        return sd_event_exit(sim->event, EXIT_SUCCESS);
}

static int on_plug_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Sim *sim = userdata;

        if (si->ssi_signo == SIGUSR1)
                sim_unplug(sim);
        else if (sim_replug(sim) < 0)
                log_warning("Replug failed, staying unplugged.");
        return 0;
}

static Sim sim_static = {.seqpacket_fd = -1};

static void sim_done(Sim *sim)
{
        sim->control = control_free(sim->control);
        scenario_stop();
        sim_unplug(sim);
        if (sim->transport && sim->transport->done)
                sim->transport->done(sim);
        sim->out_timer = sd_event_source_disable_unref(sim->out_timer);
        sim_history_clear(sim);
        sim->replay = replay_free(sim->replay);
        sim->model = model_free(sim->model);
        sim->event = sd_event_unref(sim->event);
}

/* The energy ground truth steps once a second on its own as well (besides before every change
 * and every answer), so the day a step is booked on follows the device clock closely. */
static int on_energy_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        Sim *sim = userdata;

        model_energy_update(sim->model);
        (void)sd_event_source_set_time(s, usec + USEC_PER_SEC);
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_(sd_event_source_unrefp) sd_event_source *energy_timer = NULL;
        uint64_t now;
        Sim *sim = &sim_static;
        char error[512] = "";
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        sim->pty_link = arg_pty;
        sim->seqpacket_fd = arg_seqpacket;
        sim->baud = arg_baud;
        sim->think_usec = arg_think_usec;
        sim->late_usec = arg_late_usec;
        sim->trickle_usec = arg_trickle_usec;
        sim->hidg_path = arg_hidg;
        sim->hidg_gadget_name = arg_hidg_gadget;
        sim->hidg_out_endpoint = arg_hidg_out_endpoint;
        sim->transport = arg_pty                        ? &sim_transport_pty
                         : arg_seqpacket >= 0           ? &sim_transport_seqpacket
                         : arg_hidg || arg_hidg_gadget ? &sim_transport_hidg
                                                        : &sim_transport_uhid;

        r = model_new(arg_model, arg_battery, arg_units, &sim->model);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the inverter model: %s", ERRSTR(r));
                goto finish;
        }
        if (arg_replay) {
                r = replay_load(arg_replay, &sim->replay, error, sizeof error);
                if (r < 0) {
                        if (r == -ENOMEM)
                                log_oom();
                        else
                                log_error("--replay: %s.", error);
                        goto finish;
                }
                log_info("Replaying %zu answers from \"%s\".", replay_count(sim->replay),
                         arg_replay);
        }

        r = sd_event_default(&sim->event);
        if (r < 0) {
                log_error_errno(r, "Failed to create the event loop: %s", ERRSTR(r));
                goto finish;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGUSR2);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (sd_event_add_signal(sim->event, NULL, SIGTERM, on_exit_signal, sim) < 0 ||
            sd_event_add_signal(sim->event, NULL, SIGINT, on_exit_signal, sim) < 0 ||
            sd_event_add_signal(sim->event, NULL, SIGUSR1, on_plug_signal, sim) < 0 ||
            sd_event_add_signal(sim->event, NULL, SIGUSR2, on_plug_signal, sim) < 0) {
                r = log_error_errno(ENOMEM, "Failed to watch signals.");
                goto finish;
        }

        sim->fault = arg_fault;
        if (arg_fault == SIM_FAULT_WEDGE)
                sim->wedged = true;
        if (!arg_start_unplugged) {
                r = sim_plug(sim);
                if (r < 0)
                        goto finish;
        } else if (sim->transport == &sim_transport_seqpacket) {
                /* The socket must be watched even while "unplugged" to see the peer go. */
                r = sim_plug(sim);
                if (r < 0)
                        goto finish;
                sim_unplug(sim);
        }

        if (arg_control) {
                r = control_new(sim, arg_control, &sim->control);
                if (r < 0)
                        goto finish;
        }

        /* The ground truth starts now: from here on every power shown is integrated. */
        model_energy_update(sim->model);
        (void)sd_event_now(sim->event, CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(sim->event, &energy_timer, CLOCK_MONOTONIC, now + USEC_PER_SEC,
                              100 * USEC_PER_MSEC, on_energy_tick, sim);
        if (r < 0) {
                log_error_errno(r, "Failed to start the energy clock: %s", ERRSTR(r));
                goto finish;
        }
        (void)sd_event_source_set_enabled(energy_timer, SD_EVENT_ON);

        r = scenario_start(sim, arg_scenario, arg_day_usec);
        if (r < 0)
                goto finish;

        log_info("Simulating a %s %u V inverter%s%s, %u baud, scenario %s, fault %s.",
                 model_kind_to_string(arg_model), arg_battery, arg_units > 1 ? " in parallel" : "",
                 arg_start_unplugged ? " (unplugged)" : "", arg_baud,
                 arg_scenario == SCENARIO_DAY ? "day" : "static", sim_fault_to_string(sim->fault));
        /* Tests and scripts wait for this line. */
        fputs("ready\n", stdout);
        fflush(stdout);

        r = sd_event_loop(sim->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %s", ERRSTR(r));

finish:
        energy_timer = sd_event_source_disable_unref(energy_timer);
        sim_done(sim);
        return r < 0 ? EXIT_FAILURE : r;
}
