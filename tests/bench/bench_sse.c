/* Throughput of the streaming path: SSE decoding, chunk JSON parsing and
 * sanitising of the content, over ~200 MB of realistic chat chunks fed in
 * 16 KiB pieces as libcurl would hand them over. Prints MB/s and peak RSS.
 *
 * Build and run by hand from the repository root:
 *   gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc/core \
 *       src/core/util.c src/core/sse.c src/core/api.c src/core/sanitize.c \
 *       tests/bench/bench_sse.c -lcjson -lm -o /tmp/bench_sse && /tmp/bench_sse [MB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api.h"
#include "sanitize.h"
#include "sse.h"
#include "util.h"

#define PIECE 16384

typedef struct {
    sanitizer san;
    buf text;          /* the clean reply; reset now and then so memory stays flat */
    size_t events, content_bytes, malformed;
    bool done;
} sink;

static void on_api(void *ud, const api_event *ev)
{
    sink *k = ud;
    if (ev->kind == API_EV_CONTENT) {
        sanitize_feed(&k->san, ev->text, ev->len, &k->text);
        k->content_bytes += ev->len;
        if (k->text.len > (1u << 20))
            buf_reset(&k->text);
    } else if (ev->kind == API_EV_DONE) {
        k->done = true;
    }
}

static int on_sse(void *ud, const sse_event *ev)
{
    sink *k = ud;
    k->events++;
    if (api_parse_stream_event(ev->event, ev->event_len, ev->data, ev->data_len, on_api, k) != 0)
        k->malformed++;
    return 0;
}

/* One stream's worth of chunks shaped like OpenAI's: a role chunk, content
 * deltas of a few tokens (ASCII, CJK, emoji, an escape sequence now and
 * then), keep-alive comments, a finish chunk and a usage chunk. */
static void make_stream(buf *out, size_t approx)
{
    static const char *const words[] = {
        "Hello", " world", ",", " the", " quick", " brown", " fox", " jumps", "\\n\\n",
        " 你好", "世界", " 😀", " **bold**", " `code`", " \\u001b[31mred\\u001b[0m", " naïve",
        " \\\"quoted\\\"", " over", " lazy", " dog", ".",
    };
    const char *head = "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
                       "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
                       "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
                       "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,";
    buf_printf(out, "%s\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n", head);
    unsigned seed = 1;
    for (size_t i = 0; out->len < approx; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *w = words[(seed >> 16) % (sizeof words / sizeof words[0])];
        buf_printf(out, "%s\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
                        "\"finish_reason\":null}],\"usage\":null}\n\n", head, w);
        if (i % 500 == 499)
            buf_puts(out, ": keep-alive\n\n");
    }
    buf_printf(out, "%s\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                    "\"usage\":null}\n\n", head);
    buf_puts(out, "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":"
                  "\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\","
                  "\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":1000,"
                  "\"total_tokens\":1020}}\n\ndata: [DONE]\n\n");
}

static double now_s(void)
{
    return (double)clock_mono_ms() / 1000.0;
}

int main(int argc, char **argv)
{
    size_t total_mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 200;
    buf stream;
    buf_init(&stream);
    make_stream(&stream, (size_t)4 << 20); /* one 4 MB stream, replayed */
    size_t rounds = (total_mb << 20) / stream.len + 1;

    sse_decoder d;
    sink k = {0};
    sse_init(&d, 0);
    sanitize_init(&k.san);
    buf_init(&k.text);

    double t0 = now_s();
    size_t fed = 0;
    for (size_t r = 0; r < rounds; r++) {
        k.done = false;
        for (size_t off = 0; off < stream.len; off += PIECE) {
            size_t n = stream.len - off < PIECE ? stream.len - off : PIECE;
            if (sse_feed(&d, stream.data + off, n, on_sse, &k) != SSE_OK) {
                fprintf(stderr, "bench_sse: decoder failed\n");
                return 1;
            }
        }
        fed += stream.len;
        if (sse_finish(&d) || !k.done) {
            fprintf(stderr, "bench_sse: stream not complete\n");
            return 1;
        }
        sanitize_finish(&k.san, &k.text);
    }
    double secs = now_s() - t0;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mb = (double)fed / (1 << 20);
    printf("bench_sse: %.0f MB, %zu events, %zu content bytes, %zu malformed in %.2f s: "
           "%.0f MB/s (peak RSS %ld MB)\n",
           mb, k.events, k.content_bytes, k.malformed, secs, mb / secs, ru.ru_maxrss / 1024);
    sse_done(&d);
    buf_free(&k.text);
    buf_free(&stream);
    return k.malformed ? 1 : 0;
}
