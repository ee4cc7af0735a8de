/* A thread that performs request writes off the event loop (hidraw's synchronous SET_REPORT). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "link-writer.h"

typedef struct Job {
        struct Job *next;
        TransportKind kind;
        int fd; /* the writer's own duplicate */
        uint64_t token;
        int result;
        uint64_t usec;
        size_t len;
        uint8_t buf[64];
} Job;

struct LinkWriter {
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool quit;
        Job *queue, *queue_tail; /* to write */
        Job *done, *done_tail;   /* written, for the loop */
        int efd;
        sd_event_source *io;
        LinkWriterDoneFunc done_fn;
        void *userdata;
};

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void job_free_list(Job *j)
{
        while (j) {
                Job *next = j->next;
                safe_close(j->fd);
                free(j);
                j = next;
        }
}

static void *writer_thread(void *arg)
{
        LinkWriter *w = arg;
        uint64_t one = 1;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (!w->queue && !w->quit)
                        pthread_cond_wait(&w->cond, &w->lock);
                if (w->quit)
                        break;
                Job *j = w->queue;
                w->queue = j->next;
                if (!w->queue)
                        w->queue_tail = NULL;
                pthread_mutex_unlock(&w->lock);

                uint64_t start = now_usec();
                j->result = transport_write(j->kind, j->fd, j->buf, j->len);
                j->usec = now_usec() - start;
                j->fd = safe_close(j->fd);
                j->next = NULL;

                pthread_mutex_lock(&w->lock);
                if (w->done_tail)
                        w->done_tail->next = j;
                else
                        w->done = j;
                w->done_tail = j;
                while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
                        ;
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        LinkWriter *w = userdata;
        uint64_t v;
        Job *list;

        (void)!read(fd, &v, sizeof v);
        pthread_mutex_lock(&w->lock);
        list = w->done;
        w->done = w->done_tail = NULL;
        pthread_mutex_unlock(&w->lock);
        while (list) {
                Job *j = list;
                list = j->next;
                w->done_fn(j->result, j->usec, j->token, w->userdata);
                free(j);
        }
        return 0;
}

int link_writer_new(sd_event *event, LinkWriterDoneFunc done, void *userdata, LinkWriter **ret)
{
        LinkWriter *w;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->done_fn = done;
        w->userdata = userdata;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0) {
                r = -errno;
                link_writer_free(w);
                return r;
        }
        r = sd_event_add_io(event, &w->io, w->efd, EPOLLIN, on_done, w);
        if (r < 0) {
                link_writer_free(w);
                return r;
        }
        (void)sd_event_source_set_description(w->io, "link-writer");
        r = -pthread_create(&w->thread, NULL, writer_thread, w);
        if (r < 0) {
                link_writer_free(w);
                return r;
        }
        w->started = true;
        *ret = w;
        return 0;
}

LinkWriter *link_writer_free(LinkWriter *w)
{
        if (!w)
                return NULL;
        w->io = sd_event_source_disable_unref(w->io);
        if (w->started) {
                pthread_mutex_lock(&w->lock);
                w->quit = true;
                pthread_cond_signal(&w->cond);
                pthread_mutex_unlock(&w->lock);
                (void)pthread_join(w->thread, NULL);
        }
        job_free_list(w->queue);
        job_free_list(w->done);
        safe_close(w->efd);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
}

int link_writer_submit(LinkWriter *w, TransportKind kind, int fd, const uint8_t *buf, size_t len,
                       uint64_t token)
{
        Job *j;

        if (len > sizeof j->buf)
                return -EINVAL;
        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (j->fd < 0) {
                int r = -errno;
                free(j);
                return r;
        }
        j->kind = kind;
        j->token = token;
        j->len = len;
        memcpy(j->buf, buf, len);
        pthread_mutex_lock(&w->lock);
        if (w->queue_tail)
                w->queue_tail->next = j;
        else
                w->queue = j;
        w->queue_tail = j;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}
