/* Splits the input into header values (retry-after, retry-after-ms, the
 * x-ratelimit-* pair, x-should-retry) and an error message, runs the three
 * parsers on every piece and the retry policy on the lot, and checks that the
 * decision stays within the policy's bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "http.h"
#include "retry.h"
#include "util.h"

#define MAX_WAIT_MS INT64_C(120000)
#define ABSURD_MS INT64_C(1000000000000)

static void parse_piece(const char *s)
{
    int64_t ms = -1;
    if (retry_parse_go_duration(s, &ms) == 0 && (ms < 0 || ms > INT64_C(9223372036855)))
        abort();
    ms = -1;
    if (retry_parse_message_delay(s, &ms) == 0 && ms < 0)
        abort();
    int64_t when = 0;
    if (retry_parse_http_date(s, &when) == 0 &&
        (when < INT64_C(-62200000000000) || when > INT64_C(253402300800000)))
        abort();
    when = 0;
    if (retry_parse_rfc3339(s, &when) == 0 &&
        (when < INT64_C(-62200000000000) || when > INT64_C(253402400000000)))
        abort();
    static const reset_unit units[] = {RESET_UNIT_GUESS, RESET_UNIT_EPOCH_MS, RESET_UNIT_SECONDS};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        ms = -1;
        if (retry_parse_reset(s, units[u], 784111777000, &ms) == 0 && ms < 0)
            abort();
    }
}

static void check(retry_decision d)
{
    switch (d.verdict) {
    case RETRY_YES:
        if (d.source == DELAY_NONE || d.delay_ms < 0)
            abort();
        if (d.source == DELAY_BACKOFF ? d.delay_ms > 32000 : (d.delay_ms <= 0 || d.delay_ms > MAX_WAIT_MS))
            abort();
        break;
    case RETRY_NO_TOO_LONG:
        if (d.source == DELAY_NONE || d.source == DELAY_BACKOFF || d.delay_ms <= MAX_WAIT_MS ||
            d.delay_ms > ABSURD_MS)
            abort();
        break;
    default:
        if (d.delay_ms != 0 || d.source != DELAY_NONE)
            abort();
    }
    if ((unsigned)d.verdict >= RETRY__COUNT || (unsigned)d.source >= DELAY__COUNT)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "retry-after",
        "retry-after-ms",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
        "x-should-retry",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset",
    };
    enum { NNAMES = sizeof names / sizeof names[0] };
    http_headers h;
    hdrs_init(&h);
    const char *p = (const char *)data, *end = p + size;
    /* One value per line; whatever follows the last header is the message. */
    for (size_t i = 0; i < NNAMES; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        char *piece = xstrndup(p, (size_t)(nl - p));
        parse_piece(piece);
        free(piece);
        hdrs_add(&h, names[i], strlen(names[i]), p, (size_t)(nl - p));
        p = nl + 1;
    }
    char *message = xstrndup(p, (size_t)(end - p));
    parse_piece(message);
    /* Also the values as the header parser would trim them. */
    for (size_t i = 0; i < h.n; i++)
        parse_piece(h.v[i].value);

    /* The gauge's reset, in every unit: a time left, never negative. */
    for (int u = RESET_UNIT_GUESS; u <= RESET_UNIT_SECONDS; u++) {
        retry_gauge g;
        retry_gauge_read(&h, (reset_unit)u, 784111777000, &g);
        if (g.reset_ms < -1)
            abort();
    }

    failure f;
    failure_init(&f);
    f.err_message = message;
    /* The rest of the input, as Gemini's RetryInfo would carry it. */
    f.retry_delay = xstrdup(message);
    static const struct {
        guide_entry entry;
        net_result net;
        long status;
    } kinds[] = {
        {GUIDE_RATE_LIMIT, NET_OK, 429},      {GUIDE_SERVER_ERROR, NET_OK, 500},
        {GUIDE_BAD_REQUEST, NET_OK, 400},     {GUIDE_QUOTA, NET_OK, 429},
        {GUIDE_TIMEOUT, NET_TIMEOUT_IDLE, 0}, {GUIDE_STREAM_ERROR, NET_OK, 200},
        {GUIDE_CREDITS, NET_OK, 402},         {GUIDE_MODEL_LOADING, NET_OK, 503},
    };
    retry_config cfg = RETRY_CONFIG_DEFAULT;
    int64_t now = 784111777000; /* Sun, 06 Nov 1994 08:49:37 GMT */
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        f.entry = kinds[k].entry;
        f.net = kinds[k].net;
        f.status = kinds[k].status;
        f.reset_unit = (reset_unit)(k % 3);
        for (int n = 0; n <= 4; n++) {
            check(retry_decide(&cfg, &f, &h, n, false, now, size ? data[0] / 256.0 : 0.0));
            check(retry_decide(&cfg, &f, &h, n, n == 2, now, 0.999));
        }
    }
    failure_free(&f);
    hdrs_free(&h);
    return 0;
}
