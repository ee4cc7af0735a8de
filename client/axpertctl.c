/* axpertctl: options, the verb table and the bus connection; the verbs live in their own files. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axpertctl.h"
#include "bus-errors.h"
#include "config.h"
#include "format.h"
#include "macros.h"

JsonMode arg_json = JSON_OFF;
const char *arg_device = NULL;
char **arg_properties = NULL;
bool arg_value = false;
bool arg_ask_password = true;
const char *arg_host = NULL;
const char *arg_since = NULL;
const char *arg_until = NULL;
const char *arg_range = NULL;
const char *arg_step = NULL;
const char *arg_output = NULL;
bool arg_csv = false;
const char *arg_period = NULL;
TimestampStyle arg_timestamp = TIMESTAMP_PRETTY;
bool arg_legend = true;

bool use_color = false;
bool use_ascii = false;

#define ARGS_ANY UINT_MAX

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args; /* after the verb itself */
        int (*run)(sd_bus *bus, int argc, char **argv);
        bool reads; /* a reading verb: --json applies */
        const char *args_help;
        const char *help;
} Verb;

static const Verb verbs[] = {
                {"status", 0, 0, verb_status, true, "", "Show a summary of the inverter (default)"},
                {"show", 0, 0, verb_show, true, "",
                 "Show all properties as Name=value (-p, --value)"},
                {"get", 1, ARGS_ANY, verb_get, true, "NAME...", "Print the values of properties"},
                {"list", 0, 0, verb_list, true, "", "List inverters and parallel units"},
                {"monitor", 0, 0, verb_monitor, true, "", "Print every change as it happens"},
                {"refresh", 0, 0, verb_refresh, false, "", "Poll the inverter now"},
                {"set-flag", 2, 2, verb_set_flag, false, "FLAG on|off", "Enable or disable a flag"},
                {"raw", 1, 1, verb_raw, true, "COMMAND",
                 "Send a raw PI30 command, print the answer"},
                {"history", 0, ARGS_ANY, verb_history, true, "[FIELD...]",
                 "Print recorded values (axpert-history); without FIELD: list the fields"},
                {"energy", 0, 0, verb_energy, true, "",
                 "Show the kWh counters; --day/--month/--year: per period"},
                {"settings", 0, 0, verb_settings, true, "",
                 "List every setting, its value and what this inverter accepts"},
};

const char *ansi_highlight_red(void)
{
        return use_color ? "\033[0;1;31m" : "";
}

const char *ansi_highlight_yellow(void)
{
        return use_color ? "\033[0;1;33m" : "";
}

const char *ansi_highlight_green(void)
{
        return use_color ? "\033[0;1;32m" : "";
}

const char *ansi_bold(void)
{
        return use_color ? "\033[1m" : "";
}

const char *ansi_normal(void)
{
        return use_color ? "\033[0m" : "";
}

const char *glyph_arrow(void)
{
        return use_ascii ? "->" : "→";
}

static void print_help_line(const char *left, const char *text)
{
        if (strlen(left) > 36)
                printf("  %s\n  %-36s %s\n", left, "", text);
        else
                printf("  %-36s %s\n", left, text);
}

static void help(void)
{
        const SetVerb *set;
        size_t n_set;

        printf("axpertctl [OPTIONS...] COMMAND ...\n\n"
               "Query and control Axpert/Voltronic (PI30) solar inverters through axpertd.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char left[128];

                snprintf(left, sizeof left, "%s%s%s", verbs[i].name,
                         verbs[i].args_help[0] ? " " : "", verbs[i].args_help);
                print_help_line(left, verbs[i].help);
        }
        n_set = set_verbs_get(&set);
        for (size_t i = 0; i < n_set; i++) {
                char left[128], text[512], values[384];

                snprintf(left, sizeof left, "%s %s", set[i].verb, set[i].arg_help);
                set_verb_values_help(&set[i], values, sizeof values);
                snprintf(text, sizeof text, "Set the %s%s%s%s%s", set[i].method->words,
                         values[0] ? ": " : "", values,
                         !values[0] && set[i].arg->unit ? " in " : "",
                         !values[0] && set[i].arg->unit ? set[i].arg->unit : "");
                print_help_line(left, text);
        }
        printf("\nFlags:");
        for (size_t i = 0; i < axpert_contract_n_flags; i++)
                printf(" %s", axpert_contract_flags[i].name);
        printf("\nWhat this inverter accepts: axpertctl get SettingLimits SettingOptions "
               "SettingChoices\n\n"
               "Options:\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "  -d --device=NAME         The inverter (needed only when there are several);\n"
               "                           NAME/unitN: a parallel unit (status, show, get, "
               "monitor)\n"
               "  -H --host=[USER@]HOST    Operate on a remote host (through ssh)\n"
               "  -p --property=NAME       With show: only these properties (repeatable)\n"
               "     --value               With show: print only the values\n"
               "  -P NAME                  With show: the value of NAME only (-p NAME --value)\n"
               "     --timestamp=pretty|us|utc|us+utc|unix\n"
               "                           With show and get: how to print timestamps\n"
               "     --no-legend           Tables without their header and footer\n"
               "     --no-pager            Accepted for habit; axpertctl never starts a pager\n"
               "     --json=pretty|short|off\n"
               "                           Print JSON (keys are the D-Bus property names)\n"
               "  -j --json                Same as --json=pretty on a terminal, short otherwise\n"
               "     --no-ask-password     Do not ask for a password for privileged changes\n"
               "\nOptions of history and energy:\n"
               "     --since=TIME          Start (default: 24 h ago; energy: 30 days, 12 months)\n"
               "     --until=TIME          End (default: now)\n"
               "     --range=YYYYmmddHHMMSS-YYYYmmddHHMMSS\n"
               "                           Both ends at once (as godenerg writes them)\n"
               "     --step=SECONDS        With history: one averaged row per step (0: finest)\n"
               "     --csv                 With history: CSV instead of a table\n"
               "  -o --output=FILE         With history: write to FILE (replaced atomically)\n"
               "     --day --month --year  With energy: one row per period\n"
               "  TIME: 2026-12-01, 2026-12-01T10:00[:00][Z|+01:00], 20261201100000, now,\n"
               "        today, yesterday, @SECONDS, -1d, -12h, -30m, -90s\n"
               "\nSee the axpertctl(1) man page for details and exit codes.\n");
}

static bool verb_is_known(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return true;
        return set_verb_find(name) != NULL;
}

static int strv_extend_split(char ***strv, const char *value)
{
        _cleanup_free_ char *copy = strdup(value);
        size_t n = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        while (*strv && (*strv)[n])
                n++;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                char **l = realloc(*strv, (n + 2) * sizeof *l);

                if (!l)
                        return -ENOMEM;
                *strv = l;
                l[n] = strdup(t);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        return 0;
}

static void strv_free_arg(void)
{
        for (char **p = arg_properties; p && *p; p++)
                free(*p);
        free(arg_properties);
        arg_properties = NULL;
}

static int parse_argv(int argc, char *argv[])
{
        enum {
                ARG_VERSION = 0x100,
                ARG_VALUE,
                ARG_JSON,
                ARG_NO_ASK_PASSWORD,
                ARG_SINCE,
                ARG_UNTIL,
                ARG_RANGE,
                ARG_STEP,
                ARG_CSV,
                ARG_DAY,
                ARG_MONTH,
                ARG_YEAR,
                ARG_TIMESTAMP,
                ARG_NO_LEGEND,
                ARG_NO_PAGER,
        };
        static const struct option options[] = {
                        {"help", no_argument, NULL, 'h'},
                        {"version", no_argument, NULL, ARG_VERSION},
                        {"device", required_argument, NULL, 'd'},
                        {"host", required_argument, NULL, 'H'},
                        {"property", required_argument, NULL, 'p'},
                        {"value", no_argument, NULL, ARG_VALUE},
                        {"json", optional_argument, NULL, ARG_JSON},
                        {"no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD},
                        {"since", required_argument, NULL, ARG_SINCE},
                        {"until", required_argument, NULL, ARG_UNTIL},
                        {"range", required_argument, NULL, ARG_RANGE},
                        {"step", required_argument, NULL, ARG_STEP},
                        {"csv", no_argument, NULL, ARG_CSV},
                        {"output", required_argument, NULL, 'o'},
                        {"day", no_argument, NULL, ARG_DAY},
                        {"month", no_argument, NULL, ARG_MONTH},
                        {"year", no_argument, NULL, ARG_YEAR},
                        {"timestamp", required_argument, NULL, ARG_TIMESTAMP},
                        {"no-legend", no_argument, NULL, ARG_NO_LEGEND},
                        {"no-pager", no_argument, NULL, ARG_NO_PAGER},
                        {NULL, 0, NULL, 0},
        };
        int c;

        opterr = 0;
        /* The leading ':' makes a missing argument ':' rather than '?': "-p needs a name", not
         * "unknown option". */
        while ((c = getopt_long(argc, argv, ":hd:H:p:P:jo:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("axpertctl %s\n", PACKAGE_VERSION);
                        return 0;
                case 'd':
                        if (!*optarg)
                                return report_usage("--device= needs a name");
                        arg_device = optarg;
                        break;
                case 'H':
                        if (!*optarg)
                                return report_usage("--host= needs [USER@]HOST");
                        arg_host = optarg;
                        break;
                case 'p':
                case 'P':
                        /* "show -p --value" took "--value" as the name: say what was meant. */
                        if (!*optarg || optarg[0] == '-')
                                return report_usage("-%c needs a property name, as in \"axpertctl "
                                                    "show -%c BatteryVoltage\" (\"axpertctl "
                                                    "show\" lists them)",
                                                    c, c);
                        if (strv_extend_split(&arg_properties, optarg) < 0)
                                return report_error(EXIT_FAILED, "out of memory");
                        if (c == 'P')
                                arg_value = true;
                        break;
                case ARG_VALUE:
                        arg_value = true;
                        break;
                case ARG_JSON:
                        if (!optarg) /* bare --json, as -j */
                                arg_json = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
                        else if (streq(optarg, "pretty"))
                                arg_json = JSON_PRETTY;
                        else if (streq(optarg, "short"))
                                arg_json = JSON_SHORT;
                        else if (streq(optarg, "off"))
                                arg_json = JSON_OFF;
                        else if (verb_is_known(optarg))
                                /* "--json=status": the verb was meant, --json without a mode. */
                                return report_usage("unknown --json= mode \"%s\"; use pretty, "
                                                    "short or off (or \"--json %s\" for the "
                                                    "verb with the default mode)",
                                                    optarg, optarg);
                        else
                                return report_usage("unknown --json= mode \"%s\"; use pretty, "
                                                    "short or off",
                                                    optarg);
                        break;
                case 'j':
                        arg_json = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_SINCE:
                        arg_since = optarg;
                        break;
                case ARG_UNTIL:
                        arg_until = optarg;
                        break;
                case ARG_RANGE:
                        arg_range = optarg;
                        break;
                case ARG_STEP:
                        arg_step = optarg;
                        break;
                case ARG_CSV:
                        arg_csv = true;
                        break;
                case 'o':
                        if (!*optarg)
                                return report_usage("--output= needs a file name");
                        arg_output = optarg;
                        break;
                case ARG_DAY:
                case ARG_MONTH:
                case ARG_YEAR: {
                        const char *p = c == ARG_DAY ? "day" : c == ARG_MONTH ? "month" : "year";

                        if (arg_period && !streq(arg_period, p))
                                return report_usage("--%s and --%s exclude each other", arg_period,
                                                    p);
                        arg_period = p;
                        break;
                }
                case ARG_TIMESTAMP:
                        if (streq(optarg, "pretty"))
                                arg_timestamp = TIMESTAMP_PRETTY;
                        else if (streq(optarg, "us") || streq(optarg, "μs"))
                                arg_timestamp = TIMESTAMP_US;
                        else if (streq(optarg, "utc"))
                                arg_timestamp = TIMESTAMP_UTC;
                        else if (streq(optarg, "us+utc") || streq(optarg, "μs+utc"))
                                arg_timestamp = TIMESTAMP_US_UTC;
                        else if (streq(optarg, "unix"))
                                arg_timestamp = TIMESTAMP_UNIX;
                        else
                                return report_usage("unknown --timestamp= style \"%s\"; use "
                                                    "pretty, us, utc, us+utc or unix",
                                                    optarg);
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_PAGER:
                        /* axpertctl never pipes through a pager; accepted so that habits from
                         * systemctl and scripts written for it work. */
                        break;
                case '?':
                        if (optopt && optopt < 0x100)
                                return report_usage(
                                                "unknown option \"-%c\"; see \"axpertctl --help\"",
                                                optopt);
                        return report_usage("unknown option \"%s\"; see \"axpertctl --help\"",
                                            argv[optind - 1]);
                case ':':
                        if (optopt == 'p' || optopt == 'P')
                                return report_usage("-%c needs a property name, as in \"axpertctl "
                                                    "show -%c BatteryVoltage\" (\"axpertctl "
                                                    "show\" lists them)",
                                                    optopt, optopt);
                        if (optopt && optopt < 0x100)
                                return report_usage("option \"-%c\" needs an argument", optopt);
                        return report_usage("option \"%s\" needs an argument", argv[optind - 1]);
                default:
                        return report_usage("cannot parse the options");
                }
        }
        return 1;
}

static void setup_terminal(void)
{
        const char *term = getenv("TERM");
        const char *codeset;

        /* Messages in the user's language are not a thing here, but the character set is: "°" and
         * "→" only on UTF-8 terminals. Numbers never use the locale (see format.c). */
        setlocale(LC_ALL, "");
        setlocale(LC_NUMERIC, "C");
        codeset = nl_langinfo(CODESET);
        use_ascii = !codeset || !streq(codeset, "UTF-8");

        use_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && *term &&
                    !streq(term, "dumb");
        if (getenv("SYSTEMD_COLORS")) /* honour the systemd convention for tests and pagers */
                use_color = parse_boolean(getenv("SYSTEMD_COLORS")) > 0;
}

static const Verb *verb_find(const char *name, Verb *set_verb_storage)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        const SetVerb *v = set_verb_find(name);
        if (v) {
                *set_verb_storage = (Verb){
                                .name = v->verb,
                                .min_args = 1,
                                .max_args = 1,
                                .run = verb_set,
                                .args_help = v->arg_help,
                };
                return set_verb_storage;
        }
        return NULL;
}

static int run(int argc, char *argv[])
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Verb set_verb_storage;
        const Verb *verb;
        unsigned n_args;
        int r;

        setup_terminal();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        verb = verb_find(optind < argc ? argv[optind] : "status", &set_verb_storage);
        if (!verb)
                return report_usage("unknown command \"%s\"; see \"axpertctl --help\"",
                                    argv[optind]);
        n_args = optind < argc ? (unsigned)(argc - optind - 1) : 0;
        if (n_args < verb->min_args)
                return report_usage("\"%s\" needs %s%s", verb->name,
                                    verb->args_help[0] ? "the argument " : "no argument",
                                    verb->args_help);
        if (n_args > verb->max_args)
                return report_usage("too many arguments for \"%s\"%s%s", verb->name,
                                    verb->args_help[0] ? "; usage: " : "", verb->args_help);
        if (arg_json != JSON_OFF && !verb->reads)
                return report_usage("--json does not apply to \"%s\"", verb->name);
        if ((arg_properties || arg_value) && !streq(verb->name, "show"))
                return report_usage("-p/--property, -P and --value apply only to \"show\"");
        if ((arg_step || arg_csv || arg_output) && !streq(verb->name, "history"))
                return report_usage("--step, --csv and -o/--output apply only to \"history\"");
        if (arg_period && !streq(verb->name, "energy"))
                return report_usage("--day, --month and --year apply only to \"energy\"");
        if ((arg_since || arg_until || arg_range) && !streq(verb->name, "history") &&
            !streq(verb->name, "energy"))
                return report_usage("--since, --until and --range apply only to \"history\" "
                                    "and \"energy\"");

        r = axpert_bus_errors_register();
        if (r < 0)
                return report_error(EXIT_FAILED, "cannot register the D-Bus error table: %s",
                                    strerror(-r));

        if (arg_host)
                r = sd_bus_open_system_remote(&bus, arg_host);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0 && arg_host)
                return report_error(EXIT_UNREACHABLE,
                                    "cannot connect to the system bus of %s: %s; check that "
                                    "\"ssh %s\" works and that axpertd runs there",
                                    arg_host, strerror(-r), arg_host);
        if (r < 0)
                return report_error(EXIT_UNREACHABLE,
                                    "cannot connect to the system bus: %s; is dbus running?",
                                    strerror(-r));
        /* Setters may need a password; polkit asks only when the message allows it. */
        (void)sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);

        if (optind < argc)
                return verb->run(bus, argc - optind, argv + optind);
        char *default_argv[] = {(char *)"status", NULL};
        return verb->run(bus, 1, default_argv);
}

int main(int argc, char *argv[])
{
        int r = run(argc, argv);

        strv_free_arg();
        polkit_agent_close();
        if (fflush(stdout) != 0 || ferror(stdout)) {
                if (r == 0)
                        r = report_error(EXIT_FAILED, "cannot write the output: %s",
                                         strerror(errno));
        }
        return r < 0 ? -r : r;
}
