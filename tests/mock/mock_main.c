/* tchat-mock: an OpenAI-compatible HTTP server on 127.0.0.1 that injects the faults tchat
 * must survive. See README.md for the scenario format. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock_scenario.h"
#include "mock_server.h"
#include "mock_util.h"

#define MAX_CONNECTIONS 1024

static int g_signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(g_signal_pipe[1], &b, 1);
    (void)n;
    errno = saved;
}

static void usage(FILE *f)
{
    fputs("usage: tchat-mock [--port N] [--scenarios FILE] [--log FILE] [--require-key KEY]\n"
          "                  [--default SCENARIO] [--exit-on-eof] [--list-scenarios]\n"
          "Serves an OpenAI-compatible API on 127.0.0.1 and prints\n"
          "  tchat-mock listening on http://127.0.0.1:PORT/v1\n"
          "The model mock-NAME (or [[mock:NAME]] in the last user message) picks scenario\n"
          "NAME; see tests/mock/README.md.\n",
          f);
}

typedef struct options {
    long port;
    const char *scenarios;
    const char *log;
    const char *require_key;
    const char *default_scenario;
    bool exit_on_eof;
    bool list;
} options;

/* Accepts "--name value" and "--name=value". */
static bool take_value(int argc, char **argv, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return false;
    if (argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "tchat-mock: %s needs a value\n", name);
        exit(2);
    }
    *out = argv[++*i];
    return true;
}

static void parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (take_value(argc, argv, &i, "--port", &v)) {
            char *end;
            errno = 0;
            o->port = strtol(v, &end, 10);
            if (errno || *end || end == v || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "tchat-mock: --port wants 0..65535, not '%s'\n", v);
                exit(2);
            }
        } else if (take_value(argc, argv, &i, "--scenarios", &v)) {
            o->scenarios = v;
        } else if (take_value(argc, argv, &i, "--log", &v)) {
            o->log = v;
        } else if (take_value(argc, argv, &i, "--require-key", &v)) {
            o->require_key = v;
        } else if (take_value(argc, argv, &i, "--default", &v)) {
            o->default_scenario = v;
        } else if (strcmp(argv[i], "--exit-on-eof") == 0) {
            o->exit_on_eof = true;
        } else if (strcmp(argv[i], "--list-scenarios") == 0) {
            o->list = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "tchat-mock: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            exit(2);
        }
    }
}

static int listen_loopback(long port, int *bound_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("tchat-mock: socket");
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    /* Loopback only: the mock accepts any key and must never face a network. */
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "tchat-mock: cannot listen on 127.0.0.1:%ld: %s\n", port,
                strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("tchat-mock: getsockname");
        close(fd);
        return -1;
    }
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

static void start_connection(int fd)
{
    if (mock_connections_active() >= MAX_CONNECTIONS) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int *arg = mock_xmalloc(sizeof *arg);
    *arg = fd;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    /* The thread inherits a mask without SIGINT/SIGTERM: only this thread handles them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    mock_connection_opened();
    int rc = pthread_create(&t, &attr, mock_connection_main, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "tchat-mock: pthread_create: %s\n", strerror(rc));
        free(arg);
        close(fd);
        /* Undo the count the thread would have undone. */
        mock_connection_closed();
    }
}

int main(int argc, char **argv)
{
    options o = {0};
    parse_args(argc, argv, &o);
    /* A closed stdin counts as end of file (and must not be mistaken for a file, pipe or
     * socket that takes descriptor 0 later). */
    if (o.exit_on_eof && fcntl(STDIN_FILENO, F_GETFD) < 0)
        return 0;

    char err[512];
    if (!mock_scenarios_load(o.scenarios, err, sizeof err)) {
        fprintf(stderr, "tchat-mock: %s\n", err);
        return 2;
    }
    if (o.require_key && !*o.require_key) {
        fputs("tchat-mock: --require-key wants a non-empty key\n", stderr);
        return 2;
    }
    if (o.list) {
        mock_scenarios_print();
        return 0;
    }
    const char *def = o.default_scenario ? o.default_scenario
                      : mock_file_default() ? mock_file_default()
                                            : "ok";
    if (!mock_scenario_exists(def)) {
        fprintf(stderr, "tchat-mock: --default: unknown scenario '%s'\n", def);
        return 2;
    }
    mock_config cfg = {.log_path = o.log, .require_key = o.require_key,
                       .default_scenario = def};
    if (!mock_server_init(&cfg, err, sizeof err)) {
        fprintf(stderr, "tchat-mock: %s\n", err);
        return 2;
    }

    if (pipe(g_signal_pipe) != 0) {
        perror("tchat-mock: pipe");
        return 1;
    }
    fcntl(g_signal_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port = 0;
    int lfd = listen_loopback(o.port, &port);
    if (lfd < 0)
        return 1;
    printf("tchat-mock listening on http://127.0.0.1:%d/v1\n", port);
    fflush(stdout);

    struct pollfd fds[3] = {
        {.fd = lfd, .events = POLLIN},
        {.fd = g_signal_pipe[0], .events = POLLIN},
        {.fd = o.exit_on_eof ? STDIN_FILENO : -1, .events = POLLIN},
    };
    for (;;) {
        int n = poll(fds, 3, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("tchat-mock: poll");
            break;
        }
        if (fds[1].revents)
            break;
        if (fds[2].revents) {
            char scratch[512];
            ssize_t got = read(STDIN_FILENO, scratch, sizeof scratch);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                break;
        }
        if (fds[0].revents & POLLIN) {
            int cfd = accept(lfd, NULL, NULL);
            if (cfd >= 0) {
                start_connection(cfd);
            } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                       errno == ENOMEM) {
                /* Out of descriptors: back off instead of spinning on the ready socket. */
                mock_sleep_ms(50);
            }
        }
    }
    close(lfd);
    mock_server_stop();
    return 0;
}
