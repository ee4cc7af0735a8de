/* One inverter connection as passive data: its typed state, its units, and the reads that fill
 * them (nothing here emits: the bus module does, context.c tells it when). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "journal.h"
#include "log.h"

int device_new(const char *id, const char *spec, Device **ret)
{
        _cleanup_(device_freep) Device *d = NULL;

        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->id = strdup(id);
        d->spec = strdup(spec);
        d->scratch = calloc(_PI30_FIELD_MAX, sizeof *d->scratch);
        d->stage = calloc(_PI30_FIELD_MAX, sizeof *d->stage);
        if (!d->scratch || !d->stage)
                return -ENOMEM;
        if (!d->id || !d->spec || asprintf(&d->object_path, AXPERT_OBJECT_ROOT "/%s", id) < 0)
                return -ENOMEM;
        snprintf(d->last_error, sizeof d->last_error, "connecting");

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
        for (size_t i = 0; i < d->n_units; i++)
                unit_free(d->units[i]);
        free(d->units);
        for (size_t i = 0; i < d->n_gone_units; i++)
                unit_free(d->gone_units[i]);
        free(d->gone_units);
        device_stage_clear(d);
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
        if (c->refusals < DEVICE_REFUSALS_UNSUPPORTED) {
                /* A lost or mangled report makes the inverter refuse a request it supports
                 * (seen in the test guest: a USB bridge that drops the first report of two):
                 * one refusal says nothing about the model, answered before or not. */
                log_debug("%s: %s %s (%u of %d before it counts as unsupported).", d->id, name, how,
                          c->refusals, DEVICE_REFUSALS_UNSUPPORTED);
                return;
        }
        if (!c->unsupported) {
                /* A re-probe that is refused again confirms what was known: said once. */
                if (c->refusals == DEVICE_REFUSALS_UNSUPPORTED)
                        log_info("%s: %s %s in %d cycles, not asking again until reconnect or "
                                 "re-probe.",
                                 d->id, name, how, DEVICE_REFUSALS_UNSUPPORTED);
                else
                        log_debug("%s: %s %s again, still unsupported.", d->id, name, how);
        }
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
        if (!u->slot) {
                unit_free(u); /* never exported: nothing to signal */
                return;
        }
        Unit **a = realloc(d->gone_units, (d->n_gone_units + 1) * sizeof *a);
        if (!a) {
                /* Its object goes without InterfacesRemoved: clients see it vanish. */
                log_oom();
                unit_free(u);
                return;
        }
        d->gone_units = a;
        d->gone_units[d->n_gone_units++] = u;
}

/* What describes the present and goes when the device goes offline: the fast poll's status and
 * the readings of the slow class (energy counters, the clock). */
static bool field_is_status(Pi30Field f)
{
        const Pi30FieldInfo *info = pi30_field_info(f);
        const Pi30CommandInfo *ci;

        if (!info)
                return false;
        if (info->command == PI30_CMD_QPGS)
                return true;
        ci = pi30_command_info(info->command);
        return ci && (ci->poll == PI30_POLL_FAST || ci->reading);
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

static bool command_is_reading(Pi30Command cmd)
{
        const Pi30CommandInfo *ci = pi30_command_info(cmd);
        return ci && ci->reading;
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
                                    command_polled(c, PI30_POLL_SLOW))) ||
                         /* A counter the inverter stopped answering shows no old count. */
                         (command_is_reading(c) && !device_command_supported(d, c)))
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

/* ------------------------------------------------------------------------------------------ */

typedef struct ReadRequest {
        Device *device;
        DeviceReadMode mode;
        Pi30Command cmd;
        int param;
        DeviceReadFunc done;
        void *userdata;
        char skipped[160]; /* why the last frame the check skipped is no answer to cmd */
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

        snprintf(d->refusal, sizeof d->refusal, "%s", rq->skipped);
        if (result == 0) {
                if (frame->kind != PI30_FRAME_DATA) {
                        r = -EBADMSG; /* an ACK is no answer to a query */
                        snprintf(d->refusal, sizeof d->refusal, "an acknowledgement");
                } else
                        r = device_store(d, rq, frame);
                if (r >= 0) {
                        r = 0;
                        d->refusal[0] = 0;
                        device_learn_answer(d, rq->cmd);
                } else {
                        if (r == -EBADMSG && frame->kind == PI30_FRAME_DATA)
                                (void)pi30_decode_explain(rq->cmd, frame->payload,
                                                          frame->payload_len, d->refusal,
                                                          sizeof d->refusal);
                        log_debug_errno(r, "%s: answer to %s not understood: %s", d->id,
                                        pi30_command_info(rq->cmd)->name,
                                        d->refusal[0] ? d->refusal : strerror(abs(r)));
                }
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
        if (pi30_decode(rq->cmd, frame->payload, frame->payload_len, scratch, NULL) >= 0)
                return true;
        (void)pi30_decode_explain(rq->cmd, frame->payload, frame->payload_len, rq->skipped,
                                  sizeof rq->skipped);
        return false;
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
