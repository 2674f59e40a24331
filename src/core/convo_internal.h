/* Internal to the conversation module, not its API (that is convo.h): the handle and what
 * convo.c (the model: the file format, parsing, rendering, titles, times), convo_store.c
 * (the files: the saver thread, listing, finding) and convo_export.c (Markdown) share. */
#ifndef TCHAT_CONVO_INTERNAL_H
#define TCHAT_CONVO_INTERNAL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convo.h"
#include "session.h"

/* localtime_r costs about a microsecond (it takes a lock and walks the zone's rules): 10 ms
 * for a 10,000-message file. The zone offset is cached per quarter hour of UTC, which no
 * offset change since 1970 splits twice. */
typedef struct tz_cache {
    int64_t bucket;
    long off;
    bool valid;
} tz_cache;

/* The cached JSON of one message, valid while its key matches the message. */
typedef struct frag {
    uint64_t id;
    size_t text_len, reasoning_len;
    unsigned flags;
    int error;
    int64_t wall_ms, think_ms;
    char *finish;
    char *json;
    size_t json_len;
} frag;

/* Unknown members of a loaded message, found by message id. */
typedef struct msg_extra {
    uint64_t id;
    cJSON *obj; /* the message object as loaded; known members are skipped on output */
} msg_extra;

struct convo {
    /* The model, the owning thread's. */
    char *path, *id, *title, *profile, *model;
    int64_t created_ms, updated_ms;
    char *top_extra;   /* unknown top-level members as ,"k":v... or NULL */
    msg_extra *extras; /* sorted by id */
    size_t nextras;
    frag *frags;
    size_t nfrags, capfrags;
    bool header_dirty;
    bool on_disk; /* loaded from, or handed to be written to, the file */
    int lock_fd;  /* the lock file beside the conversation, held open (flock); -1: none */
    char *lock_path;
    tz_cache tz;

    /* The store: shared with the saver thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started, quit, failed, hold;
    char *pending; /* the newest snapshot not taken yet */
    size_t pending_len;
    unsigned long submitted, written, writes;
    char errmsg[512];
    int err_no;    /* errno of the last failed write */
};

/* "PATH: what is wrong" into err. */
void convo_fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A zeroed handle with its lock (convo_store.c); convo_free frees it. */
convo *convo_alloc(void);
/* Frees what the model holds (convo.c). */
void convo_model_free(convo *c);

/* Brings the message cache up to s; returns whether anything differed. */
bool convo_update_cache(convo *c, const session *s);
/* The file text from the cache, appended to out. */
void convo_render_cached(convo *c, buf *out);

/* The listing's view of a conversation file's text (validated as convo_parse would), with
 * its search text when with_text: 0, or -1 with "PATH: what is wrong" in err. */
int convo_info_parse(const char *path, const char *text, size_t len, convo_info *info,
                     bool with_text, char *err, size_t errlen);
/* The id a file's path gives: its name without .json, sanitised. Caller frees. */
char *convo_id_from_path(const char *path);

#endif
