/* tchat-mock routing: one thread per connection answers its requests in turn and logs
 * each one. */
#ifndef MOCK_SERVER_H
#define MOCK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mock_config {
    const char *log_path;         /* NULL: no log */
    const char *require_key;      /* NULL: any key (or none) is accepted */
    const char *default_scenario; /* for models that are not mock-<name> */
} mock_config;

/* Call once before the first connection; opens the log. False with a message on failure. */
bool mock_server_init(const mock_config *cfg, char *err, size_t errlen);
/* Flushes and closes the log; connection threads that still run may no longer log. */
void mock_server_stop(void);

/* Thread entry for one accepted connection; arg is a malloc'd int holding the socket,
 * which the thread frees and closes. */
void *mock_connection_main(void *arg);
/* Connections currently being served. */
int mock_connections_active(void);
/* Counts a connection before its thread starts; the thread's end undoes it, or
 * mock_connection_closed when the thread could not start. */
void mock_connection_opened(void);
void mock_connection_closed(void);

#endif
