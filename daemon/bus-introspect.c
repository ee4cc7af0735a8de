/* axpertd --bus-introspect: the live vtables' introspection XML, printed without any bus. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-id128.h>

#include "bus-inverter.h"
#include "device.h"
#include "log.h"

/* sd-bus keeps its introspection writer internal. So the daemon's own vtables are served on
 * one end of a socketpair (a peer-to-peer "bus" without a daemon), and the other end asks
 * org.freedesktop.DBus.Introspectable.Introspect like any client would: what is printed is
 * exactly what a client on the system bus gets. */

static int bus_pair(sd_bus **ret_server, sd_bus **ret_client)
{
        _cleanup_close_ int fd0 = -1, fd1 = -1;
        sd_bus *server = NULL, *client = NULL;
        int fds[2], r;
        sd_id128_t id;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return -errno;
        fd0 = fds[0];
        fd1 = fds[1];

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        if ((r = sd_bus_new(&server)) < 0 || (r = sd_bus_set_fd(server, fd0, fd0)) < 0 ||
            (r = sd_bus_set_server(server, 1, id)) < 0 || (r = sd_bus_set_anonymous(server, 1)) < 0)
                goto fail;
        fd0 = -1;
        if ((r = sd_bus_new(&client)) < 0 || (r = sd_bus_set_fd(client, fd1, fd1)) < 0 ||
            (r = sd_bus_set_anonymous(client, 1)) < 0)
                goto fail;
        fd1 = -1;
        if ((r = sd_bus_start(server)) < 0 || (r = sd_bus_start(client)) < 0)
                goto fail;
        *ret_server = server;
        *ret_client = client;
        return 0;
fail:
        sd_bus_flush_close_unref(server);
        sd_bus_flush_close_unref(client);
        return r;
}

typedef struct IntrospectCall {
        char *xml;
        int error;
        bool done;
} IntrospectCall;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        IntrospectCall *c = userdata;
        const char *xml;
        int r;

        c->done = true;
        if (sd_bus_message_is_method_error(m, NULL)) {
                c->error = sd_bus_message_get_errno(m);
                return 0;
        }
        r = sd_bus_message_read(m, "s", &xml);
        if (r < 0) {
                c->error = r;
                return 0;
        }
        c->xml = strdup(xml);
        if (!c->xml)
                c->error = -ENOMEM;
        return 0;
}

static int introspect_path(sd_bus *server, sd_bus *client, const char *path, char **ret)
{
        IntrospectCall call = {.xml = NULL};
        int r;

        r = sd_bus_call_method_async(client, NULL, NULL, path,
                                     "org.freedesktop.DBus.Introspectable", "Introspect", on_reply,
                                     &call, NULL);
        if (r < 0)
                return r;
        while (!call.done) {
                struct pollfd p[2] = {
                                {.fd = sd_bus_get_fd(server),
                                 .events = (short)sd_bus_get_events(server)},
                                {.fd = sd_bus_get_fd(client),
                                 .events = (short)sd_bus_get_events(client)},
                };
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);
                if (a < 0)
                        return a;
                if (b < 0)
                        return b;
                if (a == 0 && b == 0 && !call.done && poll(p, 2, 1000) < 0)
                        return -errno;
        }
        if (call.error)
                return -abs(call.error);
        *ret = call.xml;
        return 0;
}

/* Cuts the <interface name="NAME"> … </interface> element out of an introspection document. */
static int extract_interface(const char *xml, const char *name, FILE *out)
{
        char open[256];
        const char *start, *end;

        snprintf(open, sizeof open, "<interface name=\"%s\">", name);
        start = strstr(xml, open);
        if (!start)
                return -ENOENT;
        end = strstr(start, "</interface>");
        if (!end)
                return -EBADMSG;
        end += strlen("</interface>");
        fprintf(out, " %.*s\n", (int)(end - start), start);
        return 0;
}

int bus_introspect_print(FILE *f)
{
        sd_bus *server = NULL, *client = NULL;
        _cleanup_free_ char *device_xml = NULL, *unit_xml = NULL;
        static Device dummy_device;
        static Unit dummy_unit;
        int r;

        if (!bus_inverter_vtable() || !bus_unit_vtable())
                return -ENOMEM;
        r = bus_pair(&server, &client);
        if (r < 0)
                return r;
        dummy_unit.device = &dummy_device;
        r = sd_bus_add_object_vtable(server, NULL, AXPERT_OBJECT_ROOT "/0", AXPERT_INTERFACE,
                                     bus_inverter_vtable(), &dummy_device);
        if (r >= 0)
                r = sd_bus_add_object_vtable(server, NULL, AXPERT_OBJECT_ROOT "/0/unit0",
                                             AXPERT_UNIT_INTERFACE, bus_unit_vtable(), &dummy_unit);
        if (r >= 0)
                r = introspect_path(server, client, AXPERT_OBJECT_ROOT "/0", &device_xml);
        if (r >= 0)
                r = introspect_path(server, client, AXPERT_OBJECT_ROOT "/0/unit0", &unit_xml);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(server);
        if (r < 0)
                return r;

        fputs("<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
              " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
              "<node>\n",
              f);
        r = extract_interface(device_xml, AXPERT_INTERFACE, f);
        if (r >= 0)
                r = extract_interface(unit_xml, AXPERT_UNIT_INTERFACE, f);
        fputs("</node>\n", f);
        return r;
}
