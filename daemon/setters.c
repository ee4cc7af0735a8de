/* The Set… and RawCommand methods: validate, authorize, write, confirm, re-read, reply. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "bus-errors.h"
#include "device.h"
#include "journal.h"
#include "link.h"
#include "log.h"
#include "macros.h"
#include "pi30.h"
#include "polkit-actions.h"
#include "polkit.h"
#include "setters.h"

/* QPGSn indexes run up to the parallel maximum, 9 on every known model. */
#define SETTER_UNITS_MAX 16
#define SETTER_COMMAND_MAX 40
#define SETTER_TEXT_MAX 64

/* One command on the wire: the inverter's own form, or one parallel unit's. */
typedef struct SetterStep {
        char command[SETTER_COMMAND_MAX];
        int unit; /* -1: the inverter itself */
} SetterStep;

typedef struct SetterOp SetterOp;

/* The queue of accepted changes of every device, and how to tell that one changed values. */
struct Setters {
        Polkit *polkit;
        SettersChangedFunc changed;
        void *userdata;
        SetterOp *head, *tail; /* oldest first */
};

struct SetterOp {
        Setters *queue;
        SetterOp *prev, *next; /* in the queue of accepted changes */
        bool active;           /* its commands are on the wire */
        Device *device;
        sd_bus_message *request;
        bool raw; /* RawCommand, not a Set… */
        Pi30Setting setting;
        Pi30SettingArg arg;              /* as asked, to see whether it is still needed */
        char arg_text[SETTER_TEXT_MAX];  /* arg.s points here */
        Pi30Field field;                 /* the property the change shows up in */
        char name[SETTER_TEXT_MAX];      /* that property's name, or "RawCommand" */
        char requested[SETTER_TEXT_MAX]; /* the value asked for, as text */
        char old_value[SETTER_TEXT_MAX];
        uid_t uid;

        SetterStep steps[SETTER_UNITS_MAX];
        size_t n_steps;
        size_t n_done; /* steps the inverter acknowledged */
        int error;     /* the failure of step n_done, 0 while none */

        unsigned n_reads; /* re-reads still running */
        int read_error;   /* a re-read that failed (the change itself stands) */
        char *answer;     /* RawCommand: the payload */
};

/* Accepted changes wait in the Setters queue, oldest first. One per device is active at a
 * time, from its first command to its reply: a burst of callers is applied one after the other,
 * and each one's re-read, journal entry ("old -> new") and reply describe its own change, not a
 * neighbour's. */
static void setter_queue_remove(SetterOp *op)
{
        Setters *q = op->queue;

        if (!q)
                return;
        if (op->prev)
                op->prev->next = op->next;
        else if (q->head == op)
                q->head = op->next;
        if (op->next)
                op->next->prev = op->prev;
        else if (q->tail == op)
                q->tail = op->prev;
        op->prev = op->next = NULL;
}

static SetterOp *setter_op_free(SetterOp *op)
{
        if (!op)
                return NULL;
        setter_queue_remove(op);
        sd_bus_message_unref(op->request);
        free(op->answer);
        free(op);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SetterOp *, setter_op_free)

int setters_new(Polkit *polkit, SettersChangedFunc changed, void *userdata, Setters **ret)
{
        Setters *q = calloc(1, sizeof *q);

        if (!q)
                return -ENOMEM;
        *q = (Setters){.polkit = polkit, .changed = changed, .userdata = userdata};
        *ret = q;
        return 0;
}

Setters *setters_free(Setters *q)
{
        SetterOp *op;

        if (!q)
                return NULL;
        /* Without touching op->device: the devices may be gone already. */
        while ((op = q->head)) {
                q->head = op->next;
                op->prev = op->next = NULL;
                op->device = NULL;
                op->queue = NULL;
                setter_op_free(op);
        }
        free(q);
        return NULL;
}

static const char *caller_name(const SetterOp *op)
{
        const char *s = sd_bus_message_get_sender(op->request);
        return s ? s : "?";
}

/* A value as the journal shows it: enum name, number in the field's precision, yes/no. */
static void value_format(Pi30Field field, const Pi30Value *v, char *buf, size_t size)
{
        const Pi30FieldInfo *fi = pi30_field_info(field);

        if (!fi || !v || !pi30_value_valid(v)) {
                snprintf(buf, size, "unknown");
                return;
        }
        switch (fi->kind) {
        case PI30_KIND_ENUM:
                snprintf(buf, size, "%s", v->name ? v->name : "unknown");
                break;
        case PI30_KIND_BOOL:
                snprintf(buf, size, "%s", v->d != 0 ? "yes" : "no");
                break;
        case PI30_KIND_NUMBER:
        case PI30_KIND_UINT:
                /* The daemon never calls setlocale(): '.' is the decimal point. */
                snprintf(buf, size, "%.*f", (int)fi->decimals, v->d);
                break;
        default:
                snprintf(buf, size, "%s", v->s);
                break;
        }
}

static void setter_limits(const Device *d, Pi30Limits *ret)
{
        /* The same limits the bus advertises (SettingLimits…): what is offered is accepted. */
        pi30_limits_from_values(d->values, ret);
}

/* The parallel units a per-unit setting goes to, in ascending QPGS index order. */
static size_t setter_units(const Device *d, unsigned ret[SETTER_UNITS_MAX])
{
        size_t n = 0;

        for (size_t i = 0; i < d->n_units && n < SETTER_UNITS_MAX; i++)
                if (d->units[i])
                        ret[n++] = d->units[i]->index;
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && ret[j - 1] > ret[j]; j--) {
                        unsigned t = ret[j];
                        ret[j] = ret[j - 1];
                        ret[j - 1] = t;
                }
        return n;
}

static Pi30Field setter_unit_field(Pi30Setting s)
{
        switch (s) {
        case PI30_SET_CHARGER_SOURCE_PRIORITY:
                return PI30_F_UNIT_CHARGER_SOURCE_PRIORITY;
        case PI30_SET_MAX_CHARGING_CURRENT:
                return PI30_F_UNIT_MAX_CHARGING_CURRENT;
        case PI30_SET_MAX_AC_CHARGING_CURRENT:
                return PI30_F_UNIT_MAX_AC_CHARGING_CURRENT;
        default:
                return _PI30_FIELD_INVALID;
        }
}

static bool setter_parallel(const Device *d, Pi30Setting s)
{
        const Pi30SettingInfo *info = pi30_setting_info(s);
        return info && info->per_unit && d->n_units > 0;
}

/* True when nothing would change: the inverter (and, for per-unit settings, every unit as its
 * QPGSn answer shows it) already has the value. */
static bool setter_is_current(const Device *d, Pi30Setting s, const Pi30SettingArg *arg)
{
        const Pi30SettingInfo *info = pi30_setting_info(s);
        _cleanup_free_ Pi30Value *values = NULL;
        Pi30Field unit_field;

        if (!pi30_setting_is_current(s, arg, d->values))
                return false;
        if (!setter_parallel(d, s))
                return true;

        unit_field = setter_unit_field(s);
        if (unit_field < 0)
                return false;
        /* Asks the protocol's own comparison, with the unit's value in the setting's field. */
        values = malloc(sizeof(Pi30Value) * _PI30_FIELD_MAX);
        if (!values)
                return false;
        for (size_t i = 0; i < d->n_units; i++) {
                const Unit *u = d->units[i];

                if (!u || !pi30_value_valid(&u->values[unit_field]))
                        return false;
                memcpy(values, d->values, sizeof(Pi30Value) * _PI30_FIELD_MAX);
                values[info->field] = u->values[unit_field];
                if (!pi30_setting_is_current(s, arg, values))
                        return false;
        }
        return true;
}

static int setter_parse(sd_bus_message *m, const Pi30SettingInfo *info, Pi30SettingArg *arg,
                        sd_bus_error *error)
{
        int r, b;

        if (streq(info->signature, "s"))
                return sd_bus_message_read(m, "s", &arg->s);

        if (streq(info->signature, "sb")) {
                r = sd_bus_message_read(m, "sb", &arg->s, &b);
                if (r < 0)
                        return r;
                arg->b = b;
                return 0;
        }

        r = sd_bus_message_read(m, "d", &arg->d);
        if (r < 0)
                return r;
        if (!isfinite(arg->d))
                return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS,
                                         "%s: the value must be a finite number.", info->method);
        return 0;
}

/* Enumeration values and flag names in another case ("SBU", "Pylontech", "Buzzer") mean the
 * canonical one: the canonical spelling replaces them before anything else sees the value, so
 * validation, the no-op check and the journal all name it. Unknown names are left as given,
 * for the error message. */
static const char *setter_canonical_name(const Pi30SettingInfo *info, const char *name)
{
        if (!name)
                return name;
        if (info->id == PI30_SET_FLAG) {
                for (size_t i = 0; i < pi30_n_flags; i++)
                        if (strcasecmp(pi30_flags[i].name, name) == 0)
                                return pi30_flags[i].name;
                return name;
        }
        const Pi30FieldInfo *fi = pi30_field_info(info->field);
        if (!fi || !fi->enums)
                return name;
        for (size_t i = 0; i < fi->enums->n_entries; i++)
                if (strcasecmp(fi->enums->entries[i].name, name) == 0)
                        return fi->enums->entries[i].name;
        return name;
}

static const char *setter_error_name(int error)
{
        const char *name;

        /* An answer that is neither ACK nor NAK to a setting: the conversation went wrong. */
        if (abs(error) == EBADMSG)
                return AXPERT_ERROR_PROTOCOL;
        /* An answer that started but was too slow to finish (link.h) is a timeout to callers. */
        if (abs(error) == ETIME)
                return AXPERT_ERROR_TIMEOUT;
        name = axpert_bus_error_name_from_errno(error);
        return name ? name : SD_BUS_ERROR_FAILED;
}

static const char *link_error_words(int error)
{
        switch (-abs(error)) {
        case -EREMOTEIO:
                return "refused (NAK)";
        case -ETIMEDOUT:
                return "did not answer in time";
        case -ETIME:
                return "answered too slowly";
        case -ECANCELED:
                return "was not asked: axpertd is stopping";
        case -EPROTO:
                return "kept sending garbled answers";
        case -ENOTCONN:
                return "is not connected";
        case -EOPNOTSUPP:
                return "does not know the command";
        case -EBADMSG:
                return "sent an unexpected answer";
        default:
                return "failed";
        }
}

static void setter_log_change(SetterOp *op, const char *new_value)
{
        const Device *d = op->device;
        char message[512], uid[16];

        snprintf(message, sizeof message, "%s: %s changed from %s to %s by uid %u (%s).", d->id,
                 op->name, op->old_value, new_value, (unsigned)op->uid, caller_name(op));
        snprintf(uid, sizeof uid, "%u", (unsigned)op->uid);
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", d->id},
                        {"AXPERT_SETTING", op->name},
                        {"AXPERT_OLD_VALUE", op->old_value},
                        {"AXPERT_NEW_VALUE", new_value},
                        {"AXPERT_COMMAND", op->steps[0].command},
                        {"AXPERT_CALLER_UID", uid},
                        {"AXPERT_CALLER_NAME", caller_name(op)},
        };
        journal_entry(LOG_NOTICE, AXPERT_MESSAGE_SETTING_CHANGED_STR, message, fields,
                      ELEMENTSOF(fields));
}

/* Per-unit changes are several commands: a daemon killed between them leaves the units at
 * different values, so the intent is journalled before the first one and each unit's outcome
 * after its answer. */
static bool setter_per_unit(const SetterOp *op)
{
        return !op->raw && op->n_steps > 0 && op->steps[0].unit >= 0;
}

static void setter_log_intent(SetterOp *op)
{
        const Device *d = op->device;
        char message[512], uid[16], units_text[128] = "", units_field[128] = "";
        size_t lt = 0, lf = 0;

        for (size_t i = 0; i < op->n_steps; i++) {
                if (lt < sizeof units_text)
                        lt += (size_t)snprintf(units_text + lt, sizeof units_text - lt, "%s%d",
                                               i > 0 ? ", " : "", op->steps[i].unit);
                if (lf < sizeof units_field)
                        lf += (size_t)snprintf(units_field + lf, sizeof units_field - lf, "%s%d",
                                               i > 0 ? " " : "", op->steps[i].unit);
        }
        snprintf(message, sizeof message, "%s: changing %s to %s on unit%s %s for uid %u (%s).",
                 d->id, op->name, op->requested, op->n_steps == 1 ? "" : "s", units_text,
                 (unsigned)op->uid, caller_name(op));
        snprintf(uid, sizeof uid, "%u", (unsigned)op->uid);
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", d->id},
                        {"AXPERT_SETTING", op->name},
                        {"AXPERT_OLD_VALUE", op->old_value},
                        {"AXPERT_NEW_VALUE", op->requested},
                        {"AXPERT_UNITS", units_field},
                        {"AXPERT_CALLER_UID", uid},
                        {"AXPERT_CALLER_NAME", caller_name(op)},
        };
        journal_entry(LOG_NOTICE, AXPERT_MESSAGE_SETTING_REQUESTED_STR, message, fields,
                      ELEMENTSOF(fields));
}

static const char *link_error_words(int error);

/* result: 1 accepted, 0 not sent (an earlier unit failed), negative errno: refused or failed. */
static void setter_log_unit(SetterOp *op, size_t i, int result)
{
        const Device *d = op->device;
        const SetterStep *step = &op->steps[i];
        char message[512], uid[16], unit[16], what[96];
        const char *outcome;

        if (result > 0) {
                outcome = "accepted";
                snprintf(what, sizeof what, "accepted");
        } else if (result == 0) {
                outcome = "not-sent";
                snprintf(what, sizeof what, "not asked");
        } else if (result == -EREMOTEIO) {
                outcome = "refused";
                snprintf(what, sizeof what, "refused (NAK)");
        } else if (result == -ECANCELED) {
                /* Shutting down: not an answer of the inverter, so no failure either. */
                outcome = "cancelled";
                snprintf(what, sizeof what, "cancelled (axpertd is stopping)");
        } else {
                outcome = "failed";
                snprintf(what, sizeof what, "failed (%s)", link_error_words(result));
        }
        snprintf(message, sizeof message, "%s: unit %d %s %s (%s %s).", d->id, step->unit, what,
                 step->command, op->name, op->requested);
        snprintf(uid, sizeof uid, "%u", (unsigned)op->uid);
        snprintf(unit, sizeof unit, "%d", step->unit);
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", d->id},
                        {"AXPERT_SETTING", op->name},
                        {"AXPERT_NEW_VALUE", op->requested},
                        {"AXPERT_UNIT", unit},
                        {"AXPERT_COMMAND", step->command},
                        {"AXPERT_RESULT", outcome},
                        {"AXPERT_CALLER_UID", uid},
                        {"AXPERT_CALLER_NAME", caller_name(op)},
        };
        journal_entry(result > 0 ? LOG_NOTICE : LOG_WARNING, AXPERT_MESSAGE_SETTING_UNIT_STR,
                      message, fields, ELEMENTSOF(fields));
}

/* Step i failed with error: journals it and the units after it, which are not asked. */
static void setter_log_units_failed(SetterOp *op, size_t i, int error)
{
        if (!setter_per_unit(op))
                return;
        setter_log_unit(op, i, error);
        for (size_t j = i + 1; j < op->n_steps; j++)
                setter_log_unit(op, j, 0);
}

/* A raw command that is not a query may change anything: what was sent and what came back. */
static void setter_log_raw(SetterOp *op)
{
        const Device *d = op->device;
        char message[512], uid[16];
        const char *answer = NULL;

        if (op->error == 0)
                answer = op->answer ? op->answer : "";
        else if (op->error == -EREMOTEIO)
                answer = "NAK";
        if (answer)
                snprintf(message, sizeof message,
                         "%s: Raw command \"%s\" answered \"%s\" (uid %u, %s).", d->id,
                         op->steps[0].command, answer, (unsigned)op->uid, caller_name(op));
        else
                snprintf(message, sizeof message,
                         "%s: Raw command \"%s\" failed: the inverter %s (uid %u, %s).", d->id,
                         op->steps[0].command, link_error_words(op->error), (unsigned)op->uid,
                         caller_name(op));
        snprintf(uid, sizeof uid, "%u", (unsigned)op->uid);
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", d->id},
                        {"AXPERT_COMMAND", op->steps[0].command},
                        {"AXPERT_ANSWER", answer},
                        {"AXPERT_ERROR", answer ? NULL : link_error_words(op->error)},
                        {"AXPERT_CALLER_UID", uid},
                        {"AXPERT_CALLER_NAME", caller_name(op)},
        };
        journal_entry(LOG_NOTICE, AXPERT_MESSAGE_RAW_COMMAND_STR, message, fields,
                      ELEMENTSOF(fields));
}

static void setter_reply_failure(SetterOp *op)
{
        const SetterStep *failed = &op->steps[op->n_done];
        char done[256] = "";
        int r;

        if (op->n_done > 0) {
                size_t len = 0;

                /* Nothing more was sent after the refusal; say what did change. */
                len += (size_t)snprintf(done, sizeof done, " Already changed:");
                for (size_t i = 0; i < op->n_done && len < sizeof done; i++)
                        len += (size_t)snprintf(done + len, sizeof done - len, "%s unit %d",
                                                i > 0 ? "," : "", op->steps[i].unit);
                if (len < sizeof done)
                        snprintf(done + len, sizeof done - len, ".");
                log_warning("%s: %s only partly applied: unit %d %s for %s.%s", op->device->id,
                            op->name, failed->unit, link_error_words(op->error), failed->command,
                            done);
        }

        if (failed->unit >= 0)
                r = sd_bus_reply_method_errorf(op->request, setter_error_name(op->error),
                                               "Unit %d %s %s.%s", failed->unit,
                                               link_error_words(op->error), failed->command, done);
        else
                r = sd_bus_reply_method_errorf(op->request, setter_error_name(op->error),
                                               "The inverter %s %s.", link_error_words(op->error),
                                               failed->command);
        if (r < 0)
                log_debug_errno(r, "Failed to reply to %s, ignoring: %s", caller_name(op),
                                strerror(-r));
}

static void setter_begin_next(Device *d);

static void setter_finish(SetterOp *op)
{
        Device *d = op->device;
        int r;

        /* One PropertiesChanged with what the re-read changed (before the reply, so a caller that
         * waits for the reply and then reads sees the new values): the bus module's, through
         * the callback context.c gave. */
        d->setters->changed(d, d->setters->userdata);

        if (op->raw && op->steps[0].command[0] != 'Q')
                setter_log_raw(op);

        if (op->error < 0) {
                setter_reply_failure(op);
                setter_op_free(op);
                setter_begin_next(d);
                return;
        }

        if (op->raw)
                r = sd_bus_reply_method_return(op->request, "s", op->answer ? op->answer : "");
        else {
                char new_value[SETTER_TEXT_MAX];

                /* What the inverter reports now; what was asked when it could not be re-read. */
                if (op->read_error < 0)
                        snprintf(new_value, sizeof new_value, "%s", op->requested);
                else
                        value_format(op->field, &d->values[op->field], new_value, sizeof new_value);
                setter_log_change(op, new_value);
                r = sd_bus_reply_method_return(op->request, NULL);
        }
        if (r < 0)
                log_debug_errno(r, "Failed to reply to %s, ignoring: %s", caller_name(op),
                                strerror(-r));
        setter_op_free(op);
        setter_begin_next(d);
}

static void setter_read_one_done(SetterOp *op)
{
        if (--op->n_reads == 0)
                setter_finish(op);
}

static void setter_read_done(Device *d, int result, void *userdata)
{
        SetterOp *op = userdata;

        if (result < 0) {
                /* The inverter acknowledged; the property catches up at the next settings poll. */
                log_warning_errno(result, "%s: re-reading after %s failed, ignoring: %s", d->id,
                                  op->steps[0].command, link_error_words(result));
                op->read_error = result;
        }
        setter_read_one_done(op);
}

static void setter_read(SetterOp *op, Pi30Command cmd, int param)
{
        int r;

        op->n_reads++;
        r = device_read(op->device, cmd, param, LINK_PRIORITY_WRITE, setter_read_done, op);
        if (r < 0) {
                op->read_error = r;
                op->n_reads--;
        }
}

static void setter_reread(SetterOp *op)
{
        /* The guard count keeps op alive while reads are queued, even if one completes at once. */
        op->n_reads = 1;

        if (op->raw) {
                /* A raw command may have changed any setting: read the settings again. */
                if (op->steps[0].command[0] != 'Q') {
                        setter_read(op, PI30_CMD_QPIRI, -1);
                        setter_read(op, PI30_CMD_QFLAG, -1);
                }
        } else {
                const Pi30SettingInfo *info = pi30_setting_info(op->setting);

                setter_read(op, info->reread, -1);
                for (size_t i = 0; i < op->n_steps; i++)
                        if (op->steps[i].unit >= 0)
                                setter_read(op, PI30_CMD_QPGS, op->steps[i].unit);
        }

        setter_read_one_done(op);
}

static void setter_write_done(Link *link, int result, const Pi30Frame *frame, void *userdata);

static int setter_submit_step(SetterOp *op)
{
        return link_submit(op->device->link, LINK_PRIORITY_WRITE, op->steps[op->n_done].command,
                           setter_write_done, op);
}

static void setter_write_done(Link *link, int result, const Pi30Frame *frame, void *userdata)
{
        SetterOp *op = userdata;
        int r;

        if (result >= 0 && frame && frame->kind == PI30_FRAME_NAK)
                result = -EREMOTEIO;
        /* A setting command is answered with ACK or NAK; anything else is not a confirmation. */
        if (result >= 0 && !op->raw && (!frame || frame->kind != PI30_FRAME_ACK))
                result = -EBADMSG;

        if (result < 0) {
                op->error = result;
                setter_log_units_failed(op, op->n_done, result);
                if (op->n_done == 0) {
                        /* Nothing changed: no re-read needed. */
                        setter_finish(op);
                        return;
                }
                /* Some units took the change: show what the inverter has now. */
                setter_reread(op);
                return;
        }

        if (op->raw) {
                op->answer = strndup(frame ? frame->payload : "", frame ? frame->payload_len : 0);
                if (!op->answer) {
                        op->error = -ENOMEM;
                        setter_finish(op);
                        return;
                }
        }

        if (setter_per_unit(op))
                setter_log_unit(op, op->n_done, 1);
        op->n_done++;
        if (op->n_done < op->n_steps) {
                r = setter_submit_step(op);
                if (r < 0) {
                        op->error = r;
                        setter_log_units_failed(op, op->n_done, r);
                        setter_reread(op);
                }
                return;
        }
        setter_reread(op);
}

/* Puts op's first command on the wire: 0. 1: nothing to send, the inverter has the value already
 * (an earlier change in the queue, or made while polkit was asked, set it). Negative errno: not
 * started. */
static int setter_begin(SetterOp *op)
{
        Device *d = op->device;
        int r;

        if (!d->online || !d->link)
                return -ENOTCONN;
        /* Checked again now that the changes ahead of it are done and re-read. */
        if (!op->raw && setter_is_current(d, op->setting, &op->arg))
                return 1;

        op->active = true;
        /* "old" is what the inverter had just before this change, after any earlier ones. */
        if (!op->raw)
                value_format(op->field, &d->values[op->field], op->old_value, sizeof op->old_value);
        if (setter_per_unit(op))
                setter_log_intent(op);
        r = setter_submit_step(op);
        if (r < 0) {
                op->active = false;
                setter_log_units_failed(op, 0, r);
        }
        return r;
}

static void setter_reply_already_set(SetterOp *op)
{
        int r;

        log_debug("%s: %s is %s already, nothing sent for %s.", op->device->id, op->name,
                  op->requested, caller_name(op));
        r = sd_bus_reply_method_return(op->request, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to reply to %s, ignoring: %s", caller_name(op),
                                strerror(-r));
}

static void setter_reply_not_started(SetterOp *op, int r)
{
        if (r == -ENOTCONN)
                r = sd_bus_reply_method_errorf(op->request, AXPERT_ERROR_OFFLINE,
                                               "The inverter is offline.");
        else
                r = sd_bus_reply_method_errorf(op->request, setter_error_name(r),
                                               "Could not queue %s: %s", op->steps[0].command,
                                               strerror(-r));
        if (r < 0)
                log_debug_errno(r, "Failed to reply to %s, ignoring: %s", caller_name(op),
                                strerror(-r));
}

/* After a change of d finished: the next waiting one for d, if any. */
static void setter_begin_next(Device *d)
{
        SetterOp *op = d->setters->head;

        while (op) {
                SetterOp *next = op->next;
                int r;

                if (op->device != d) {
                        op = next;
                        continue;
                }
                if (op->active) /* cannot happen: the finished one was the active one */
                        return;
                r = setter_begin(op);
                if (r == 0)
                        return;
                if (r > 0)
                        setter_reply_already_set(op);
                else
                        setter_reply_not_started(op, r);
                setter_op_free(op);
                op = next;
        }
}

/* Queues an authorized change; it starts at once unless another change of the same device is
 * under way. On success op belongs to the queue and the request is answered later, or op has
 * been answered (nothing to change) and freed; on failure op is the caller's. */
static int setter_enqueue(SetterOp *op, sd_bus_error *error)
{
        Setters *q = op->device->setters;
        bool busy = false;
        int r;

        for (SetterOp *o = q->head; o; o = o->next)
                if (o->device == op->device)
                        busy = true;

        op->queue = q;
        op->prev = q->tail;
        if (q->tail)
                q->tail->next = op;
        else
                q->head = op;
        q->tail = op;

        if (busy)
                return 0;

        r = setter_begin(op);
        if (r > 0) {
                setter_reply_already_set(op);
                setter_op_free(op);
                return 0;
        }
        if (r < 0) {
                setter_queue_remove(op);
                if (r == -ENOTCONN)
                        return sd_bus_error_set(error, AXPERT_ERROR_OFFLINE,
                                                "The inverter is offline.");
                return sd_bus_error_set_errnof(error, -r, "Could not queue %s: %s",
                                               op->steps[0].command, strerror(-r));
        }
        return 0;
}

static int setter_method(sd_bus_message *m, Device *d, Pi30Setting s, sd_bus_error *error)
{
        const Pi30SettingInfo *info = pi30_setting_info(s);
        _cleanup_(setter_op_freep) SetterOp *op = NULL;
        Pi30SettingArg arg = {0};
        Pi30Limits limits;
        unsigned units[SETTER_UNITS_MAX];
        size_t n_units = 0;
        char why[256] = "";
        uid_t uid = (uid_t)-1;
        int r;

        if (!info || s < 0 || s >= _PI30_SET_MAX)
                return -EINVAL;

        /* Parse and validate first: nothing invalid reaches polkit, let alone the inverter. */
        r = setter_parse(m, info, &arg, error);
        if (r < 0)
                return r;

        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        op->device = d;
        op->setting = s;
        op->field = info->field;
        op->arg = arg;
        if (arg.s) {
                arg.s = setter_canonical_name(info, arg.s);
                snprintf(op->arg_text, sizeof op->arg_text, "%s", arg.s);
                op->arg.s = op->arg_text;
        }

        setter_limits(d, &limits);
        if (setter_parallel(d, s))
                n_units = setter_units(d, units);
        op->n_steps = n_units > 0 ? n_units : 1;
        for (size_t i = 0; i < op->n_steps; i++) {
                SetterStep *step = &op->steps[i];

                step->unit = n_units > 0 ? (int)units[i] : -1;
                r = pi30_setting_encode(s, &arg, &limits, step->unit, step->command,
                                        sizeof step->command, why, sizeof why);
                if (r == -EINVAL && why[0] == '"')
                        /* '"SBU" is not one of: …' says it all. */
                        return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS, "%s: %s.",
                                                 info->method, why);
                if (r == -EINVAL)
                        return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS,
                                                 "%s: invalid value; accepted: %s", info->method,
                                                 why[0] ? why : "see the documentation");
                if (r == -ENODATA)
                        /* The battery rating comes from QPIRI: not known until it answered. */
                        return sd_bus_error_setf(error,
                                                 d->online ? AXPERT_ERROR_NOT_SUPPORTED
                                                           : AXPERT_ERROR_OFFLINE,
                                                 "%s: the inverter has not reported its battery "
                                                 "rating, so the value cannot be checked.",
                                                 info->method);
                if (r < 0)
                        return sd_bus_error_set_errnof(error, -r, "%s: %s", info->method,
                                                       why[0] ? why : strerror(-r));
        }

        /* A value that is fine on its own may contradict another setting (float above bulk). */
        r = pi30_setting_conflicts(s, &arg, d->values, why, sizeof why);
        if (r < 0)
                return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS, "%s: %s.", info->method,
                                         why[0] ? why : "conflicts with another setting");

        if (s == PI30_SET_FLAG) {
                const Pi30Flag *flag = pi30_flag_from_name(arg.s);

                if (!flag) /* pi30_setting_encode() accepted it, so this cannot happen */
                        return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS,
                                                 "Unknown flag \"%s\".", arg.s);
                op->field = flag->field;
                snprintf(op->requested, sizeof op->requested, "%s", arg.b ? "yes" : "no");
        } else if (streq(info->signature, "s"))
                snprintf(op->requested, sizeof op->requested, "%s", arg.s);
        else {
                const Pi30FieldInfo *fi = pi30_field_info(info->field);
                snprintf(op->requested, sizeof op->requested, "%.*f", fi ? (int)fi->decimals : 1,
                         arg.d);
        }
        {
                const Pi30FieldInfo *fi = pi30_field_info(op->field);
                snprintf(op->name, sizeof op->name, "%s", fi && fi->name ? fi->name : info->method);
        }

        if (!d->online || !d->link)
                return sd_bus_error_set(error, AXPERT_ERROR_OFFLINE, "The inverter is offline.");

        /* Already so: nothing to authorize, nothing to send. */
        if (setter_is_current(d, s, &arg))
                return sd_bus_reply_method_return(m, NULL);

        r = polkit_verify(d->setters->polkit, m, axpert_polkit_action(pi30_settings[s].method),
                          &uid, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* sd-bus dispatches this call again once polkit has answered */

        op->request = sd_bus_message_ref(m);
        op->uid = uid;

        r = setter_enqueue(op, error);
        if (r < 0)
                return r;
        op = NULL; /* owned by the link callbacks now */
        return 1;
}

int method_raw_command(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(setter_op_freep) SetterOp *op = NULL;
        Device *d = userdata;
        const char *command;
        char why[256] = "";
        uid_t uid = (uid_t)-1;
        int r;

        r = sd_bus_message_read(m, "s", &command);
        if (r < 0)
                return r;
        r = pi30_raw_command_validate(command, why, sizeof why);
        if (r < 0)
                return sd_bus_error_setf(error, AXPERT_ERROR_INVALID_ARGS, "RawCommand: %s",
                                         why[0] ? why : "1-32 printable ASCII characters");
        if (strlen(command) >= SETTER_COMMAND_MAX)
                return sd_bus_error_set(error, AXPERT_ERROR_INVALID_ARGS,
                                        "RawCommand: at most 32 characters.");

        if (!d->online || !d->link)
                return sd_bus_error_set(error, AXPERT_ERROR_OFFLINE, "The inverter is offline.");

        /* An inquiry (Q…) reads and changes nothing: its own, lower-risk action. Everything
         * else may change any setting. */
        r = polkit_verify(d->setters->polkit, m,
                          command[0] == 'Q' ? AXPERT_POLKIT_ACTION_RAW_QUERY
                                            : axpert_polkit_action("RawCommand"),
                          &uid, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        op->device = d;
        op->raw = true;
        op->setting = _PI30_SET_INVALID;
        op->field = _PI30_FIELD_INVALID;
        op->request = sd_bus_message_ref(m);
        op->uid = uid;
        op->n_steps = 1;
        op->steps[0].unit = -1;
        snprintf(op->steps[0].command, sizeof op->steps[0].command, "%s", command);
        snprintf(op->name, sizeof op->name, "RawCommand");
        snprintf(op->requested, sizeof op->requested, "%s", command);
        snprintf(op->old_value, sizeof op->old_value, "-");

        r = setter_enqueue(op, error);
        if (r < 0)
                return r;
        op = NULL; /* owned by the link callbacks now */
        return 1;
}

#define SETTER_METHOD(function, setting)                                                           \
        int function(sd_bus_message *m, void *userdata, sd_bus_error *error)                       \
        {                                                                                          \
                return setter_method(m, userdata, setting, error);                                 \
        }

SETTER_METHOD(method_set_output_source_priority, PI30_SET_OUTPUT_SOURCE_PRIORITY)
SETTER_METHOD(method_set_charger_source_priority, PI30_SET_CHARGER_SOURCE_PRIORITY)
SETTER_METHOD(method_set_input_voltage_range, PI30_SET_INPUT_VOLTAGE_RANGE)
SETTER_METHOD(method_set_max_charging_current, PI30_SET_MAX_CHARGING_CURRENT)
SETTER_METHOD(method_set_max_ac_charging_current, PI30_SET_MAX_AC_CHARGING_CURRENT)
SETTER_METHOD(method_set_battery_type, PI30_SET_BATTERY_TYPE)
SETTER_METHOD(method_set_battery_recharge_voltage, PI30_SET_BATTERY_RECHARGE_VOLTAGE)
SETTER_METHOD(method_set_battery_redischarge_voltage, PI30_SET_BATTERY_REDISCHARGE_VOLTAGE)
SETTER_METHOD(method_set_battery_under_voltage, PI30_SET_BATTERY_UNDER_VOLTAGE)
SETTER_METHOD(method_set_battery_bulk_voltage, PI30_SET_BATTERY_BULK_VOLTAGE)
SETTER_METHOD(method_set_battery_float_voltage, PI30_SET_BATTERY_FLOAT_VOLTAGE)
SETTER_METHOD(method_set_flag, PI30_SET_FLAG)
SETTER_METHOD(method_set_output_frequency, PI30_SET_OUTPUT_FREQUENCY)
