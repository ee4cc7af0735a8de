/* The verbs that act: set-* (one method call each, printing old -> new), set-flag, raw, refresh. */
#include <errno.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "axpertctl.h"
#include "error-names.h"
#include "format.h"
#include "macros.h"
#include "polkit-actions.h"

/* Replies come after the inverter's ACK; a password prompt may take the user a while. */
#define CALL_TIMEOUT_USEC (60 * USEC_PER_SEC)
#define INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

static SetVerb set_verbs[32];
static size_t n_set_verbs;

size_t set_verbs_get(const SetVerb **ret)
{
        if (n_set_verbs == 0)
                for (size_t i = 0; i < axpert_contract_n_methods; i++) {
                        const AxpertContractMethod *m = &axpert_contract_methods[i];
                        const AxpertContractArg *arg = axpert_contract_method_input(m, 0);
                        SetVerb *v;

                        if (!strneq(m->name, "Set", 3) || !arg ||
                            axpert_contract_method_input(m, 1) ||
                            !(streq(arg->signature, "s") || streq(arg->signature, "d")) ||
                            n_set_verbs >= ELEMENTSOF(set_verbs))
                                continue;
                        v = &set_verbs[n_set_verbs++];
                        *v = (SetVerb){
                                        .verb = m->kebab,
                                        .method = m,
                                        .arg = arg,
                                        .property = m->affects[0],
                        };
                        for (size_t k = 0; arg->name[k] && k + 1 < sizeof v->arg_help; k++)
                                v->arg_help[k] = (char)(arg->name[k] >= 'a' && arg->name[k] <= 'z'
                                                                        ? arg->name[k] - 'a' + 'A'
                                                                        : arg->name[k]);
                }
        *ret = set_verbs;
        return n_set_verbs;
}

const SetVerb *set_verb_find(const char *verb)
{
        const SetVerb *verbs;
        size_t n = set_verbs_get(&verbs);

        for (size_t i = 0; i < n; i++)
                if (streq(verbs[i].verb, verb))
                        return &verbs[i];
        return NULL;
}

static void join(const char *const *list, const char *sep, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = 0;
        for (size_t i = 0; list && list[i] && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i > 0 ? sep : "", list[i]);
}

void set_verb_values_help(const SetVerb *v, char *buf, size_t size)
{
        join(v->arg->values, "|", buf, size);
}

/* Calls a method of the picked inverter with the polkit agent running while it may ask. */
static int call_inverter(sd_bus *bus, const DeviceObject *d, const char *method, bool privileged,
                         sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, AXPERT_BUS_NAME, d->path, AXPERT_INTERFACE,
                                           method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        if (privileged)
                (void)polkit_agent_open_if_enabled();
        r = sd_bus_call(bus, m,
                        privileged && arg_ask_password ? INTERACTIVE_TIMEOUT_USEC
                                                       : CALL_TIMEOUT_USEC,
                        error, ret_reply);
        if (privileged)
                polkit_agent_close();
        return r;
}

/* Prints "Name: old → new" (or "Name: value (unchanged)") from a fresh read of the inverter. */
static int print_change(sd_bus *bus, const char *id, const char *property, const Property *old)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const Property *now = NULL;
        int r;

        r = inventory_load(bus, &inv, &error);
        if (r < 0)
                return report_bus_error("the setting was changed, but reading it back failed",
                                        &error, r, NULL);
        for (size_t i = 0; i < inv.n_devices; i++)
                if (streq(inv.devices[i].id, id))
                        now = property_list_find(&inv.devices[i].props, property);
        if (!now)
                return 0; /* an older daemon without the property: the call succeeded, nothing to
                             show */

        printf("%s: ", property);
        if (old && !property_equal(old, now)) {
                property_print_value_or_none(old, stdout, true, use_ascii);
                printf(" %s ", glyph_arrow());
                property_print_value_or_none(now, stdout, true, use_ascii);
        } else {
                property_print_value_or_none(now, stdout, true, use_ascii);
                printf(" (unchanged)");
        }
        putchar('\n');
        return 0;
}

bool setting_accepted_text(const DeviceObject *d, const char *method, const char *unit, char *buf,
                           size_t size)
{
        const PropertyEntry *e;
        char a[FORMAT_BUF_MAX], b[FORMAT_BUF_MAX], c[FORMAT_BUF_MAX];
        size_t len;

        e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_LIMITS, method);
        if (e && e->n == 3) {
                snprintf(buf, size, "%s to %s%s%s in steps of %s%s%s",
                         format_double(e->doubles[0], "nan", a),
                         format_double(e->doubles[1], "nan", b), unit ? " " : "", unit ? unit : "",
                         format_double(e->doubles[2], "nan", c), unit ? " " : "", unit ? unit : "");
                return true;
        }
        e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_OPTIONS, method);
        if (!e)
                e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_CHOICES, method);
        if (!e || e->n == 0)
                return false;
        len = (size_t)snprintf(buf, size, "one of ");
        for (size_t i = 0; i < e->n && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "",
                                        e->strv ? e->strv[i]
                                                : format_double(e->doubles[i], "nan", a));
        if (!e->strv && unit && len < size)
                snprintf(buf + len, size - len, " %s", unit);
        return true;
}

const char *const *setting_choices(const DeviceObject *d, const char *method,
                                   const char *const *fallback)
{
        const PropertyEntry *e =
                        property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_CHOICES, method);

        if (e && e->strv)
                return (const char *const *)e->strv;
        return fallback;
}

/* The canonical spelling of value in list: "SBU" -> "sbu", "Pylontech" -> "pylontech". An exact
 * match wins; NULL when nothing matches (the value then goes to axpertd as given: it is the
 * authority and may know more values than this client). */
static const char *canonical_value(const char *const *list, const char *value)
{
        for (size_t i = 0; list && list[i]; i++)
                if (streq(list[i], value))
                        return list[i];
        for (size_t i = 0; list && list[i]; i++)
                if (strcasecmp(list[i], value) == 0)
                        return list[i];
        return NULL;
}

/* The message of an error of axpertd without its leading "Method: " (we say what failed). */
static const char *strip_method(const char *message, const char *method)
{
        size_t l = strlen(method);

        if (message && strneq(message, method, l) && message[l] == ':' && message[l + 1] == ' ')
                return message + l + 2;
        return message;
}

/* Reports a failed call on an inverter: Offline with the reason axpertd gives in LastError,
 * InvalidArgs without the method name; the rest as report_bus_error() does. */
static int report_call_error(const char *what, const sd_bus_error *error, int r, const char *action,
                             const DeviceObject *d, const char *method)
{
        const char *reason = property_list_string(&d->props, AXPERT_PROPERTY_LAST_ERROR);

        if (sd_bus_error_has_name(error, AXPERT_ERROR_OFFLINE))
                return report_error(EXIT_OFFLINE,
                                    "%s: the inverter is offline%s%s; check the cable and "
                                    "\"axpertctl status\"",
                                    what, *reason ? ": " : "", reason);
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_INVALID_ARGS) && error->message)
                return report_error(EXIT_INVALID, "%s: %s", what,
                                    strip_method(error->message, method));
        return report_bus_error(what, error, r, action);
}

int verb_set(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const SetVerb *v = set_verb_find(argv[0]);
        const char *value = argv[1];
        char what[256], accepted[512];
        DeviceObject *d;
        double number = 0;
        bool numeric;
        int r;

        if (!v)
                return report_usage("unknown command \"%s\"", argv[0]);
        numeric = streq(v->arg->signature, "d");
        if (numeric && parse_double(value, &number) < 0)
                return report_usage("\"%s\" is not a number (%s takes %s, written like 54.5)",
                                    value, v->verb, v->arg_help);

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;
        snprintf(what, sizeof what, "cannot set the %s to \"%s\"", v->method->words, value);

        if (numeric)
                r = call_inverter(bus, d, v->method->name, true, &error, NULL, "d", number);
        else {
                /* Enumerations are matched without regard to case ("SBU", "Pylontech") against
                 * what this inverter offers, and sent as the API spells them. */
                const char *canonical = canonical_value(
                                setting_choices(d, v->method->name, v->arg->values), value);

                r = call_inverter(bus, d, v->method->name, true, &error, NULL, "s",
                                  canonical ? canonical : value);
        }
        /* A value in range that contradicts another setting (float above bulk, …): the daemon's
         * words name the other setting; the range would be no answer. */
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS) && error.message &&
            strstr(error.message, " conflicts with ")) {
                const char *m = error.message, *colon = strchr(m, ':');
                if (colon && strncmp(m, v->method->name, (size_t)(colon - m)) == 0)
                        m = colon + 1 + (colon[1] == ' ');
                return report_error(EXIT_INVALID, "%s: %s", what, m);
        }
        /* The daemon refused the value: say what this inverter takes, as the bus advertises it. */
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS) &&
            setting_accepted_text(d, v->method->name, v->arg->unit, accepted, sizeof accepted))
                return report_error(EXIT_INVALID, "%s: this inverter accepts %s", what, accepted);
        if (r < 0)
                return report_call_error(what, &error, r, v->method->polkit_action, d,
                                         v->method->name);

        return print_change(bus, d->id, v->property, property_list_find(&d->props, v->property));
}

int verb_set_flag(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const char *names[axpert_contract_n_flags + 1];
        const AxpertContractFlag *known;
        const char *flag = argv[1];
        char what[256], accepted[512];
        DeviceObject *d;
        int enable, r;

        enable = parse_boolean(argv[2]);
        if (enable < 0)
                return report_usage("\"%s\" is not on or off", argv[2]);

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;

        /* "Buzzer" is buzzer: matched without regard to case against this inverter's flags (or
         * the contract's), sent as the API spells it. Unknown flags still go to axpertd: it is
         * the authority and may know more flags than we. */
        for (size_t i = 0; i < axpert_contract_n_flags; i++)
                names[i] = axpert_contract_flags[i].name;
        names[axpert_contract_n_flags] = NULL;
        const char *canonical =
                        canonical_value(setting_choices(d, AXPERT_METHOD_SET_FLAG, names), flag);
        if (canonical)
                flag = canonical;
        known = axpert_contract_flag(flag);

        r = call_inverter(bus, d, AXPERT_METHOD_SET_FLAG, true, &error, NULL, "sb", flag, enable);
        snprintf(what, sizeof what, "cannot turn flag \"%s\" %s", argv[1], enable ? "on" : "off");
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS) &&
            setting_accepted_text(d, AXPERT_METHOD_SET_FLAG, NULL, accepted, sizeof accepted))
                return report_error(EXIT_INVALID, "%s: this inverter has the flags %s", what,
                                    accepted + strlen("one of "));
        if (r < 0)
                return report_call_error(what, &error, r,
                                         axpert_polkit_action(AXPERT_METHOD_SET_FLAG), d,
                                         AXPERT_METHOD_SET_FLAG);
        if (!known)
                return 0;
        return print_change(bus, d->id, known->property,
                            property_list_find(&d->props, known->property));
}

/* Inquiries (Q…) are read-only and have their own, lower-risk polkit action in axpertd; the
 * rest change the inverter and need raw-command. */
static const char *raw_polkit_action(const char *command)
{
        if (command[0] == 'Q')
                return AXPERT_POLKIT_ACTION_RAW_QUERY;
        return axpert_polkit_action(AXPERT_METHOD_RAW_COMMAND);
}

int verb_raw(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const char *response;
        char what[256];
        DeviceObject *d;
        int r;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;

        r = call_inverter(bus, d, AXPERT_METHOD_RAW_COMMAND, true, &error, &reply, "s", argv[1]);
        snprintf(what, sizeof what, "raw command \"%s\" failed", argv[1]);
        if (r < 0 && sd_bus_error_has_name(&error, AXPERT_ERROR_REJECTED)) {
                /* Not a setter's refusal: most often a command this model does not know. PI30
                 * inquiries are upper case; the inverter answers "qpigs" with NAK. */
                char upper[64] = "";
                bool lower = false;

                for (size_t i = 0; argv[1][i] && i + 1 < sizeof upper; i++) {
                        lower = lower || (argv[1][i] >= 'a' && argv[1][i] <= 'z');
                        upper[i] = (char)toupper((unsigned char)argv[1][i]);
                }
                if (lower && (upper[0] == 'Q'))
                        return report_error(EXIT_REJECTED,
                                            "%s: the inverter answered NAK; PI30 inquiries are "
                                            "upper case: \"axpertctl raw %s\"",
                                            what, upper);
                return report_error(EXIT_REJECTED,
                                    "%s: the inverter answered NAK: this model does not know the "
                                    "command, or refuses it now",
                                    what);
        }
        if (r < 0)
                return report_call_error(what, &error, r, raw_polkit_action(argv[1]), d,
                                         AXPERT_METHOD_RAW_COMMAND);
        r = sd_bus_message_read(reply, "s", &response);
        if (r < 0)
                return report_error(EXIT_FAILED, "%s: cannot parse the answer of axpertd: %s", what,
                                    strerror(-r));

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_object(&w);
                json_key(&w, "Command");
                json_string(&w, argv[1]);
                json_key(&w, "Response");
                json_string(&w, response);
                json_end_object(&w);
                json_finish(&w);
        } else
                printf("%s\n", response);
        return 0;
}

int verb_refresh(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        DeviceObject *d;
        int r;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;
        r = call_inverter(bus, d, AXPERT_METHOD_REFRESH, false, &error, NULL, NULL);
        if (r < 0)
                return report_call_error("cannot refresh the inverter", &error, r, NULL, d,
                                         AXPERT_METHOD_REFRESH);
        return 0;
}
