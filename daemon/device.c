/* One inverter connection: its typed state, its parallel units, and the reads that fill them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-inverter.h"
#include "context.h"
#include "device.h"
#include "journal.h"
#include "log.h"
#include "poller.h"

static void device_on_link_event(Link *link, LinkEvent event, int error, const char *why,
                                 void *userdata)
{
        Device *d = userdata;

        poller_link_event(d->poller, event, error, why);
}

int device_new(Context *c, const char *id, const char *spec, Device **ret)
{
        _cleanup_(device_freep) Device *d = NULL;
        int r;

        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->context = c;
        d->id = strdup(id);
        d->spec = strdup(spec);
        d->scratch = calloc(_PI30_FIELD_MAX, sizeof *d->scratch);
        d->stage = calloc(_PI30_FIELD_MAX, sizeof *d->stage);
        if (!d->scratch || !d->stage)
                return -ENOMEM;
        if (!d->id || !d->spec || asprintf(&d->object_path, AXPERT_OBJECT_ROOT "/%s", id) < 0)
                return -ENOMEM;
        snprintf(d->last_error, sizeof d->last_error, "connecting");

        r = link_new(c->event, spec, device_on_link_event, d, &d->link);
        if (r < 0)
                return r;
        r = poller_new(d, &d->poller);
        if (r < 0)
                return r;

        /* What clients were shown at export time: the baseline for the first change signal. */
        device_get_derived(d, &d->emitted_derived);
        d->emitted_valid = true;

        *ret = TAKE_PTR(d);
        return 0;
}

Unit *unit_free(Unit *u)
{
        if (!u)
                return NULL;
        u->slot = sd_bus_slot_unref(u->slot);
        free(u->object_path);
        free(u);
        return NULL;
}

Device *device_free(Device *d)
{
        if (!d)
                return NULL;
        /* The link first: the requests in flight complete (-ECANCELED) into the poller and the
         * setters while they still exist, and free what they carry. */
        d->link = link_free(d->link);
        d->poller = poller_free(d->poller);
        for (size_t i = 0; i < d->n_units; i++)
                unit_free(d->units[i]);
        free(d->units);
        device_stage_clear(d);
        d->slot = sd_bus_slot_unref(d->slot);
        free(d->stage);
        free(d->scratch);
        free(d->object_path);
        free(d->spec);
        free(d->id);
        free(d);
        return NULL;
}

int device_start(Device *d)
{
        return link_start(d->link);
}

bool device_command_supported(const Device *d, Pi30Command cmd)
{
        return cmd >= 0 && cmd < _PI30_CMD_MAX && !d->commands[cmd].unsupported;
}

void device_reprobe(Device *d)
{
        for (Pi30Command c = 0; c < _PI30_CMD_MAX; c++)
                d->commands[c].unsupported = false;
}

void device_set_known_serial(Device *d, const char *serial)
{
        if (streq(d->known_serial, serial))
                return;
        if (d->known_serial[0])
                log_notice("%s: serial number %s instead of %s: another inverter, learning what "
                           "it supports anew.",
                           d->id, serial[0] ? serial : "unknown", d->known_serial);
        for (Pi30Command c = 0; c < _PI30_CMD_MAX; c++)
                if (!d->commands[c].answered || d->commands[c].answered_cycle != d->cycle_seq)
                        d->commands[c] = (DeviceCommand){0};
        snprintf(d->known_serial, sizeof d->known_serial, "%s", serial);
}

static void device_learn_answer(Device *d, Pi30Command cmd)
{
        DeviceCommand *c = &d->commands[cmd];

        if (c->unsupported)
                log_info("%s: %s answers again.", d->id, pi30_command_info(cmd)->name);
        c->answered = true;
        c->answered_cycle = d->cycle_seq;
        c->unsupported = false;
        c->refusals = 0;
}

static void device_learn_refusal(Device *d, Pi30Command cmd, int result)
{
        DeviceCommand *c = &d->commands[cmd];
        const char *name = pi30_command_info(cmd)->name;
        const char *how = result == -EREMOTEIO ? "refused (NAK)" : "echoed (unknown command)";

        if (c->refusals == 0 || c->refusal_cycle != d->cycle_seq) {
                c->refusals++;
                c->refusal_cycle = d->cycle_seq;
        }
        if (cmd == PI30_CMD_QPI)
                return; /* without QPI there is no inverter: never "unsupported" */
        if (c->answered && c->refusals < DEVICE_REFUSALS_UNSUPPORTED) {
                /* It answered before: a mangled request or a busy inverter, not the model. */
                log_debug("%s: %s %s (%u of %d before it counts as unsupported).", d->id, name, how,
                          c->refusals, DEVICE_REFUSALS_UNSUPPORTED);
                return;
        }
        if (!c->unsupported)
                log_info("%s: %s %s%s, not asking again until reconnect or re-probe.", d->id, name,
                         how, c->answered ? " in several cycles" : "");
        c->unsupported = true;
}

Unit *device_find_unit(Device *d, unsigned index)
{
        for (size_t i = 0; i < d->n_units; i++)
                if (d->units[i]->index == index)
                        return d->units[i];
        return NULL;
}

int device_add_unit(Device *d, unsigned index, Unit **ret)
{
        Unit **a, *u;

        u = calloc(1, sizeof *u);
        if (!u)
                return -ENOMEM;
        u->device = d;
        u->index = index;
        if (asprintf(&u->object_path, "%s/unit%u", d->object_path, index) < 0) {
                free(u);
                return -ENOMEM;
        }
        a = realloc(d->units, (d->n_units + 1) * sizeof *a);
        if (!a) {
                unit_free(u);
                return -ENOMEM;
        }
        d->units = a;
        /* Keep them ordered by index. */
        size_t pos = d->n_units;
        while (pos > 0 && d->units[pos - 1]->index > index) {
                d->units[pos] = d->units[pos - 1];
                pos--;
        }
        d->units[pos] = u;
        d->n_units++;
        *ret = u;
        return 0;
}

void device_remove_unit(Device *d, Unit *u)
{
        size_t i;

        for (i = 0; i < d->n_units; i++)
                if (d->units[i] == u)
                        break;
        if (i == d->n_units)
                return;
        memmove(d->units + i, d->units + i + 1, (d->n_units - i - 1) * sizeof *d->units);
        d->n_units--;
        if (u->slot && d->context->bus)
                (void)sd_bus_emit_interfaces_removed(d->context->bus, u->object_path,
                                                     AXPERT_UNIT_INTERFACE, NULL);
        unit_free(u);
}

static bool field_is_status(Pi30Field f)
{
        const Pi30FieldInfo *info = pi30_field_info(f);
        const Pi30CommandInfo *ci;

        if (!info)
                return false;
        if (info->command == PI30_CMD_QPGS)
                return true;
        ci = pi30_command_info(info->command);
        return ci && ci->poll == PI30_POLL_FAST;
}

void device_clear_status(Device *d)
{
        for (Pi30Field f = 0; f < _PI30_FIELD_MAX; f++)
                if (field_is_status(f))
                        memset(&d->values[f], 0, sizeof d->values[f]);
        while (d->n_units > 0)
                device_remove_unit(d, d->units[d->n_units - 1]);
        device_stage_clear(d);
}

/* ------------------------------------------------------------------------------------------ */
/* The staged cycle */

static void copy_fields(Pi30Value *dst, const Pi30Value *src, Pi30Command cmd)
{
        for (size_t i = 0; i < pi30_n_fields; i++)
                if (pi30_fields[i].command == cmd)
                        dst[pi30_fields[i].id] = src[pi30_fields[i].id];
}

static void clear_fields(Pi30Value *dst, Pi30Command cmd)
{
        for (size_t i = 0; i < pi30_n_fields; i++)
                if (pi30_fields[i].command == cmd)
                        memset(&dst[pi30_fields[i].id], 0, sizeof dst[pi30_fields[i].id]);
}

void device_stage_clear(Device *d)
{
        memset(d->staged, 0, sizeof d->staged);
        for (size_t i = 0; i < d->n_stage_units; i++)
                free(d->stage_units[i]);
        free(d->stage_units);
        d->stage_units = NULL;
        d->n_stage_units = 0;
}

const Pi30Value *device_staged_value(Device *d, Pi30Field f)
{
        const Pi30FieldInfo *info = pi30_field_info(f);

        if (info && d->staged[info->command])
                return &d->stage[f];
        return &d->values[f];
}

static StagedUnit *device_stage_unit(Device *d, unsigned index)
{
        for (size_t i = 0; i < d->n_stage_units; i++)
                if (d->stage_units[i]->index == index)
                        return d->stage_units[i];
        return NULL;
}

bool device_stage_unit_present(Device *d, unsigned index)
{
        StagedUnit *su = device_stage_unit(d, index);
        return su && su->present;
}

static int device_stage_unit_store(Device *d, unsigned index, const Pi30Value *decoded)
{
        StagedUnit *su = device_stage_unit(d, index);

        if (!su) {
                StagedUnit **a = realloc(d->stage_units, (d->n_stage_units + 1) * sizeof *a);
                if (!a)
                        return -ENOMEM;
                d->stage_units = a;
                su = calloc(1, sizeof *su);
                if (!su)
                        return -ENOMEM;
                su->index = index;
                d->stage_units[d->n_stage_units++] = su;
        }
        su->present = pi30_value_valid(&decoded[PI30_F_UNIT_PRESENT]) &&
                      decoded[PI30_F_UNIT_PRESENT].d != 0;
        copy_fields(su->values, decoded, PI30_CMD_QPGS);
        return 0;
}

static bool command_polled(Pi30Command cmd, Pi30PollClass poll)
{
        const Pi30CommandInfo *ci = pi30_command_info(cmd);
        return ci && ci->poll == poll;
}

void device_stage_commit(Device *d, bool parallel, bool scan_ok)
{
        const Pi30Value *old_sn = &d->values[PI30_F_SERIAL_NUMBER];
        const Pi30Value *new_sn = &d->stage[PI30_F_SERIAL_NUMBER];
        bool other = d->staged[PI30_CMD_QID] && pi30_value_valid(old_sn) &&
                     pi30_value_valid(new_sn) && !streq(old_sn->s, new_sn->s);

        for (Pi30Command c = 0; c < _PI30_CMD_MAX; c++) {
                if (c == PI30_CMD_QPGS)
                        continue;
                if (d->staged[c])
                        copy_fields(d->values, d->stage, c);
                else if (command_polled(c, PI30_POLL_FAST) ||
                         (other && (command_polled(c, PI30_POLL_IDENTITY) ||
                                    command_polled(c, PI30_POLL_SLOW))))
                        clear_fields(d->values, c);
        }

        if (!parallel) {
                while (d->n_units > 0)
                        device_remove_unit(d, d->units[d->n_units - 1]);
        } else {
                for (size_t i = 0; i < d->n_stage_units; i++) {
                        StagedUnit *su = d->stage_units[i];
                        Unit *u = device_find_unit(d, su->index);
                        if (!su->present)
                                continue;
                        if (!u && device_add_unit(d, su->index, &u) < 0) {
                                log_oom();
                                continue;
                        }
                        copy_fields(u->values, su->values, PI30_CMD_QPGS);
                }
                /* Units are numbered without gaps; only a scan that went through may conclude
                 * that one is gone. One that was not read shows nothing old. */
                for (size_t i = d->n_units; i > 0; i--) {
                        Unit *u = d->units[i - 1];
                        if (device_stage_unit_present(d, u->index))
                                continue;
                        if (scan_ok)
                                device_remove_unit(d, u);
                        else
                                clear_fields(u->values, PI30_CMD_QPGS);
                }
        }
        device_stage_clear(d);
}

void device_set_error(Device *d, const char *why)
{
        snprintf(d->last_error, sizeof d->last_error, "%s", why ? why : "");
}

void device_set_online(Device *d, bool online, int error, const char *why)
{
        char text[512];

        if (online) {
                device_set_error(d, "");
                if (d->online)
                        return;
                d->online = true;
                snprintf(text, sizeof text, "Inverter %s %s on %s (%s, serial number %s).", d->id,
                         d->ever_online ? "connection re-established" : "connected",
                         link_device_path(d->link),
                         pi30_value_valid(&d->values[PI30_F_PROTOCOL_ID])
                                         ? d->values[PI30_F_PROTOCOL_ID].s
                                         : "protocol unknown",
                         pi30_value_valid(&d->values[PI30_F_SERIAL_NUMBER])
                                         ? d->values[PI30_F_SERIAL_NUMBER].s
                                         : "unknown");
                journal_device_event(LOG_NOTICE,
                                     d->ever_online ? AXPERT_MESSAGE_REESTABLISHED
                                                    : AXPERT_MESSAGE_CONNECTED,
                                     d->id, link_device_path(d->link), text);
                d->ever_online = true;
                return;
        }

        device_set_error(d, why ? why : "offline");
        if (!d->online)
                return;
        d->online = false;
        snprintf(text, sizeof text, "Inverter %s on %s lost: %s.", d->id, link_device_path(d->link),
                 d->last_error);
        journal_device_event(LOG_WARNING, AXPERT_MESSAGE_LOST, d->id, link_device_path(d->link),
                             text);
        device_clear_status(d);
}

void device_get_derived(Device *d, DeviceDerived *ret)
{
        const Pi30Value *v = d->values;
        const char *names[64];
        size_t n;

        memset(ret, 0, sizeof *ret);
        ret->online = d->online;
        snprintf(ret->last_error, sizeof ret->last_error, "%s", d->last_error);
        snprintf(ret->device_path, sizeof ret->device_path, "%s", link_device_path(d->link));
        snprintf(ret->transport, sizeof ret->transport, "%s", link_transport_name(d->link));

        if (pi30_value_valid(&v[PI30_F_MODEL_NAME]))
                snprintf(ret->model_name, sizeof ret->model_name, "%s", v[PI30_F_MODEL_NAME].s);
        else if (pi30_value_valid(&v[PI30_F_GENERAL_MODEL_NUMBER]))
                snprintf(ret->model_name, sizeof ret->model_name, "%s",
                         v[PI30_F_GENERAL_MODEL_NUMBER].s);

        ret->has_pv2 = d->commands[PI30_CMD_QPIGS2].answered &&
                       !d->commands[PI30_CMD_QPIGS2].unsupported;

        if (pi30_value_valid(&v[PI30_F_PV_CHARGING_POWER]))
                ret->pv_input_power = v[PI30_F_PV_CHARGING_POWER].d;
        else if (pi30_value_valid(&v[PI30_F_PV_INPUT_CURRENT]) &&
                 pi30_value_valid(&v[PI30_F_BATTERY_VOLTAGE_FROM_SCC]))
                /* Firmware without field 20: what the charger pushes into the battery. */
                ret->pv_input_power = round(v[PI30_F_PV_INPUT_CURRENT].d *
                                            v[PI30_F_BATTERY_VOLTAGE_FROM_SCC].d * 10.0) /
                                      10.0;
        else
                ret->pv_input_power = NAN;

        ret->parallel_units = (uint32_t)d->n_units;
        if (d->n_units > 0) {
                const Pi30Value *u = d->units[0]->values;
#define NUM(x) (pi30_value_valid(&(x)) ? (x).d : NAN)
                ret->total_ac_output_active_power =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_ACTIVE_POWER]);
                ret->total_ac_output_apparent_power =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_APPARENT_POWER]);
                ret->total_ac_output_load_percent =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_LOAD_PERCENT]);
                ret->total_charging_current = NUM(u[PI30_F_UNIT_TOTAL_CHARGING_CURRENT]);
        } else {
                ret->total_ac_output_active_power = NUM(v[PI30_F_AC_OUTPUT_ACTIVE_POWER]);
                ret->total_ac_output_apparent_power = NUM(v[PI30_F_AC_OUTPUT_APPARENT_POWER]);
                ret->total_ac_output_load_percent = NUM(v[PI30_F_AC_OUTPUT_LOAD_PERCENT]);
                ret->total_charging_current = NUM(v[PI30_F_BATTERY_CHARGING_CURRENT]);
#undef NUM
        }

        if (pi30_value_valid(&v[PI30_F_WARNING_STATUS])) {
                for (int faults = 0; faults <= 1; faults++) {
                        char *buf = faults ? ret->faults : ret->warnings;
                        size_t size = faults ? sizeof ret->faults : sizeof ret->warnings, len = 0;
                        n = pi30_warnings_active(&v[PI30_F_WARNING_STATUS], faults, names,
                                                 ELEMENTSOF(names));
                        for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++) {
                                int k = snprintf(buf + len, size - len, "%s%s", i ? " " : "",
                                                 names[i]);
                                if (k < 0 || (size_t)k >= size - len)
                                        break;
                                len += (size_t)k;
                        }
                }
        }

        bus_inverter_settings_text(v, ret);
}

/* ------------------------------------------------------------------------------------------ */

typedef struct ReadRequest {
        Device *device;
        DeviceReadMode mode;
        Pi30Command cmd;
        int param;
        DeviceReadFunc done;
        void *userdata;
} ReadRequest;

/* A direct read of a unit: into its object, and into the staged cycle if that read it. */
static int device_store_unit(Device *d, unsigned index, const Pi30Value *decoded)
{
        StagedUnit *su = device_stage_unit(d, index);
        Unit *u = device_find_unit(d, index);
        int r;

        if (su)
                (void)device_stage_unit_store(d, index, decoded);
        if (!pi30_value_valid(&decoded[PI30_F_UNIT_PRESENT]) || decoded[PI30_F_UNIT_PRESENT].d == 0)
                return 0; /* an empty slot: the next complete scan drops the object */
        if (!u) {
                r = device_add_unit(d, index, &u);
                if (r < 0)
                        return r;
        }
        copy_fields(u->values, decoded, PI30_CMD_QPGS);
        return 0;
}

static int device_store(Device *d, const ReadRequest *rq, const Pi30Frame *frame)
{
        Pi30Value *scratch = d->scratch;
        int r;

        r = pi30_decode(rq->cmd, frame->payload, frame->payload_len, scratch, NULL);
        if (r < 0)
                return r;

        switch (rq->mode) {
        case DEVICE_READ_CHECK:
                return 0;
        case DEVICE_READ_STAGE:
                if (rq->cmd == PI30_CMD_QPGS)
                        return device_stage_unit_store(d, (unsigned)rq->param, scratch);
                copy_fields(d->stage, scratch, rq->cmd);
                d->staged[rq->cmd] = true;
                return 0;
        case DEVICE_READ_COMMIT:
        default:
                if (rq->cmd == PI30_CMD_QPGS)
                        return device_store_unit(d, (unsigned)rq->param, scratch);
                copy_fields(d->values, scratch, rq->cmd);
                if (d->staged[rq->cmd])
                        copy_fields(d->stage, scratch, rq->cmd);
                return 0;
        }
}

static void device_read_done(Link *link, int result, const Pi30Frame *frame, void *userdata)
{
        _cleanup_free_ ReadRequest *rq = userdata;
        Device *d = rq->device;
        int r = result;

        if (result == 0) {
                if (frame->kind != PI30_FRAME_DATA)
                        r = -EBADMSG; /* an ACK is no answer to a query */
                else
                        r = device_store(d, rq, frame);
                if (r >= 0) {
                        r = 0;
                        device_learn_answer(d, rq->cmd);
                } else
                        log_debug_errno(r, "%s: answer to %s not understood: %s", d->id,
                                        pi30_command_info(rq->cmd)->name, strerror(abs(r)));
        } else if (result == -EREMOTEIO || result == -EOPNOTSUPP)
                device_learn_refusal(d, rq->cmd, result);
        else if (result == -ETIMEDOUT && link_answer_started(link))
                r = -ETIME;

        if (rq->done)
                rq->done(d, r, rq->userdata);
}

static bool device_read_check(const Pi30Frame *frame, void *userdata)
{
        ReadRequest *rq = userdata;
        Pi30Value *scratch = rq->device->scratch;

        /* Decoding into scratch space leaves the state alone; the real decode follows in
         * device_read_done(). The shape checks of the decoder make a late answer of another
         * command fail here. */
        return pi30_decode(rq->cmd, frame->payload, frame->payload_len, scratch, NULL) >= 0;
}

int device_read_mode(Device *d, DeviceReadMode mode, Pi30Command cmd, int param, LinkPriority prio,
                     DeviceReadFunc done, void *userdata)
{
        char text[40];
        ReadRequest *rq;
        int r;

        if (cmd < 0 || cmd >= _PI30_CMD_MAX)
                return -EINVAL;
        if (!device_command_supported(d, cmd))
                return -EOPNOTSUPP;
        r = pi30_command_format(cmd, param, text, sizeof text);
        if (r < 0)
                return r;

        rq = calloc(1, sizeof *rq);
        if (!rq)
                return -ENOMEM;
        *rq = (ReadRequest){.device = d,
                            .mode = mode,
                            .cmd = cmd,
                            .param = param,
                            .done = done,
                            .userdata = userdata};
        r = link_submit_checked(d->link, prio, text, device_read_check, device_read_done, rq);
        if (r < 0) {
                free(rq);
                return r;
        }
        return 0;
}

int device_read(Device *d, Pi30Command cmd, int param, LinkPriority prio, DeviceReadFunc done,
                void *userdata)
{
        return device_read_mode(d, DEVICE_READ_COMMIT, cmd, param, prio, done, userdata);
}

/* ------------------------------------------------------------------------------------------ */

static int emit_list(sd_bus *bus, const char *path, const char *iface, const BusFieldList *list,
                     Pi30Value *emitted, const Pi30Value *values, const char **extra,
                     size_t n_extra)
{
        const char *names[_PI30_FIELD_MAX + 32];
        size_t n = 0;

        for (size_t i = 0; i < n_extra; i++)
                names[n++] = extra[i];
        for (size_t i = 0; i < list->n; i++) {
                Pi30Field f = list->fields[i];
                if (!pi30_value_equal(f, &emitted[f], &values[f])) {
                        names[n++] = pi30_field_info(f)->name;
                        emitted[f] = values[f];
                }
        }
        if (n == 0 || !bus)
                return 0;
        names[n] = NULL;
        return sd_bus_emit_properties_changed_strv(bus, path, iface, (char **)names);
}

int device_emit_changes(Device *d)
{
        sd_bus *bus = d->context->bus;
        DeviceDerived now;
        const char *extra[32];
        size_t n_extra;
        int r;

        /* Units first: a client that sees ParallelUnits change can find the objects. */
        for (size_t i = 0; i < d->n_units; i++) {
                Unit *u = d->units[i];
                if (!u->slot) {
                        memcpy(u->emitted, u->values, sizeof u->emitted);
                        if (bus) {
                                r = bus_unit_add_object(u);
                                if (r < 0)
                                        log_warning_errno(r, "Cannot export %s, ignoring: %s",
                                                          u->object_path, strerror(abs(r)));
                                else
                                        (void)sd_bus_emit_interfaces_added(bus, u->object_path,
                                                                           AXPERT_UNIT_INTERFACE,
                                                                           NULL);
                        }
                        continue;
                }
                r = emit_list(bus, u->object_path, AXPERT_UNIT_INTERFACE, bus_unit_fields(),
                              u->emitted, u->values, NULL, 0);
                if (r < 0)
                        log_debug_errno(r, "Cannot emit PropertiesChanged on %s: %s",
                                        u->object_path, strerror(abs(r)));
        }

        device_get_derived(d, &now);
        n_extra = bus_inverter_derived_changes(&d->emitted_derived, &now, extra, ELEMENTSOF(extra));
        d->emitted_derived = now;
        r = emit_list(bus, d->object_path, AXPERT_INTERFACE, bus_inverter_fields(), d->emitted,
                      d->values, extra, n_extra);
        if (r < 0)
                log_debug_errno(r, "Cannot emit PropertiesChanged on %s: %s", d->object_path,
                                strerror(abs(r)));
        return r;
}
