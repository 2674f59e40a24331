/* Chat Completions wire format: request bodies, stream chunks, completions,
 * model lists and the status page, each as a table of cases. Parsed events
 * are recorded as one line "kind:text" each (usage as "usage:P/C/T"), so a
 * case states exactly what must come out, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

/* ---- request bodies ---- */

static const api_message conv[] = {
    {API_ROLE_SYSTEM, "be brief"},
    {API_ROLE_USER, "hi"},
    {API_ROLE_ASSISTANT, "hello"},
    {API_ROLE_USER, "again"},
};

static const api_message tricky[] = {
    {API_ROLE_USER, "quote \" backslash \\ slash / nl \n tab \t cr \r bell \x07 esc \x1B del \x7F 你好 😀"},
};

typedef struct {
    const char *name;
    api_request req;
    const char *want;
} body_case;

static const body_case body_cases[] = {
    {"streaming, defaults", {"gpt-4o-mini", conv, 2, true, -1, 0},
     "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
     "{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
     "\"stream_options\":{\"include_usage\":true}}"},
    {"not streaming: no stream_options", {"m", conv + 1, 1, false, -1, 0},
     "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}"},
    {"all roles", {"m", conv, 4, false, -1, 0},
     "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
     "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"},"
     "{\"role\":\"user\",\"content\":\"again\"}],\"stream\":false}"},
    {"temperature and max tokens", {"m", conv + 1, 1, true, 0.7, 256},
     "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
     "\"stream_options\":{\"include_usage\":true},\"temperature\":0.7,"
     "\"max_completion_tokens\":256}"},
    {"temperature zero is sent", {"m", conv + 1, 1, false, 0, -5},
     "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false,"
     "\"temperature\":0}"},
    {"escaping", {"a\"b", tricky, 1, false, -1, 0},
     "{\"model\":\"a\\\"b\",\"messages\":[{\"role\":\"user\",\"content\":"
     "\"quote \\\" backslash \\\\ slash / nl \\n tab \\t cr \\r bell \\u0007 esc \\u001b "
     "del \x7F 你好 😀\"}],\"stream\":false}"},
    {"no messages", {"m", NULL, 0, false, -1, 0},
     "{\"model\":\"m\",\"messages\":[],\"stream\":false}"},
};

static void test_build_body(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        char *got = api_build_chat_body(&body_cases[i].req);
        if (strcmp(got, body_cases[i].want) != 0)
            fail_msg("%s:\n got %s\nwant %s", body_cases[i].name, got, body_cases[i].want);
        free(got);
    }
}

static void test_role_names(void **state)
{
    (void)state;
    static const struct {
        api_role role;
        const char *want;
    } t[] = {
        {API_ROLE_SYSTEM, "system"},
        {API_ROLE_USER, "user"},
        {API_ROLE_ASSISTANT, "assistant"},
        {(api_role)42, "unknown"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_string_equal(api_role_name(t[i].role), t[i].want);
}

/* ---- parsed events ---- */

static void record(void *ud, const api_event *ev)
{
    static const char *const names[] = {
        [API_EV_CONTENT] = "content", [API_EV_REFUSAL] = "refusal", [API_EV_FINISH] = "finish",
        [API_EV_USAGE] = "usage",     [API_EV_MODEL] = "model",     [API_EV_DONE] = "done",
        [API_EV_ERROR] = "error",     [API_EV_REASONING] = "reasoning",
    };
    buf *b = ud;
    buf_printf(b, "%s:", names[ev->kind]);
    if (ev->kind == API_EV_USAGE)
        buf_printf(b, "%ld/%ld/%ld", ev->prompt_tokens, ev->completion_tokens, ev->total_tokens);
    else
        buf_append(b, ev->text, ev->len);
    buf_putc(b, '\n');
}

typedef struct {
    const char *name;
    const char *event;
    const char *data;
    int ret;
    const char *want;
} chunk_case;

#define CHUNK(content_json) \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000," \
    "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":" content_json        \
    ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"

static const chunk_case chunk_cases[] = {
    {"content", "message", CHUNK("{\"content\":\"Hello\"}"), 0, "model:gpt-4o-mini\ncontent:Hello\n"},
    {"first chunk: role and empty content", "message",
     CHUNK("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}"), 0, "model:gpt-4o-mini\n"},
    {"null content", "message", CHUNK("{\"content\":null}"), 0, "model:gpt-4o-mini\n"},
    {"escapes decoded", "message", "{\"choices\":[{\"delta\":{\"content\":\"a\\nb \\u4f60 \\\"q\\\"\"}}]}",
     0, "content:a\nb 你 \"q\"\n"},
    {"surrogate pair", "message", "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\\ude00\"}}]}", 0,
     "content:😀\n"},
    {"refusal", "message", "{\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't help\"}}]}",
     0, "refusal:I can't help\n"},
    {"finish stop", "message", "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
     0, "finish:stop\n"},
    {"finish length", "message",
     "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}", 0, "finish:length\n"},
    {"finish content_filter", "message",
     "{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"content_filter\"}]}", 0,
     "content:x\nfinish:content_filter\n"},
    {"usage-only final chunk", "message",
     "{\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
     "\"completion_tokens\":12,\"total_tokens\":21}}",
     0, "model:gpt-4o\nusage:9/12/21\n"},
    {"usage without total", "message", "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}", 0,
     "usage:3/4/7\n"},
    {"usage with junk counts", "message",
     "{\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":\"4\",\"total_tokens\":1e300}}", 0,
     "usage:0/0/0\n"},
    {"only the first choice", "message",
     "{\"choices\":[{\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"b\"}}]}", 0,
     "content:a\n"},
    {"reasoning_content (DeepSeek, vLLM)", "message",
     "{\"choices\":[{\"delta\":{\"reasoning_content\":\"thinking\"}}]}", 0,
     "reasoning:thinking\n"},
    {"reasoning (OpenRouter)", "message",
     "{\"choices\":[{\"delta\":{\"reasoning\":\"hm\",\"content\":null}}]}", 0,
     "reasoning:hm\n"},
    {"both names: reasoning_content, once", "message",
     "{\"choices\":[{\"delta\":{\"reasoning\":\"a\",\"reasoning_content\":\"a\"}}]}", 0,
     "reasoning:a\n"},
    {"an empty reasoning_content gives way to reasoning", "message",
     "{\"choices\":[{\"delta\":{\"reasoning_content\":\"\",\"reasoning\":\"b\"}}]}", 0,
     "reasoning:b\n"},
    {"reasoning before content in one delta", "message",
     "{\"choices\":[{\"delta\":{\"content\":\"Four\",\"reasoning_content\":\"2+2\"}}]}", 0,
     "reasoning:2+2\ncontent:Four\n"},
    {"null or non-string reasoning carries nothing", "message",
     "{\"choices\":[{\"delta\":{\"reasoning_content\":null,\"reasoning\":{\"x\":1}}}]}", 0, ""},
    {"a <think> tag is content here (the worker splits it)", "message",
     "{\"choices\":[{\"delta\":{\"content\":\"<think>\"}}]}", 0, "content:<think>\n"},
    {"missing choices", "message", "{\"id\":\"x\",\"object\":\"chat.completion.chunk\"}", 0, ""},
    {"choices not an array", "message", "{\"choices\":{\"delta\":{\"content\":\"a\"}}}", 0, ""},
    {"error object", "message",
     "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
     0,
     "error:{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":"
     "\"rate_limit_exceeded\"}}\n"},
    {"error null is no error", "message", "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"a\"}}]}",
     0, "content:a\n"},
    {"event: error, not JSON", "error", "upstream timed out", 0, "error:upstream timed out\n"},
    {"event: error, JSON", "error", "{\"message\":\"overloaded\"}", 0,
     "error:{\"message\":\"overloaded\"}\n"},
    {"[DONE]", "message", "[DONE]", 0, "done:[DONE]\n"},
    {"[DONE] with no event name", NULL, "[DONE]", 0, "done:[DONE]\n"},
    {"malformed JSON", "message", "{\"choices\":[{\"delta\":", -1, ""},
    {"trailing garbage", "message", "{\"choices\":[]} xyz", -1, ""},
    {"trailing whitespace is fine", "message", "{\"choices\":[]} \r\n", 0, ""},
    {"not JSON", "message", "Hello", -1, ""},
    {"array", "message", "[1,2]", -1, ""},
    {"string", "message", "\"text\"", -1, ""},
    {"number", "message", "42", -1, ""},
    {"null", "message", "null", -1, ""},
    {"empty", "message", "", -1, ""},
};

static void test_stream_events(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++) {
        const chunk_case *c = &chunk_cases[i];
        buf got;
        buf_init(&got);
        int ret = api_parse_stream_event(c->event, c->event ? strlen(c->event) : 0, c->data,
                                         strlen(c->data), record, &got);
        if (ret != c->ret || strcmp(buf_str(&got), c->want) != 0)
            fail_msg("%s: returned %d want %d\n got [%s]\nwant [%s]", c->name, ret, c->ret,
                     buf_str(&got), c->want);
        buf_free(&got);
    }
}

/* Only data_len bytes are looked at: the chunk need not be a C string. */
static void test_stream_event_length(void **state)
{
    (void)state;
    const char data[] = "{\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}GARBAGE";
    buf got;
    buf_init(&got);
    assert_int_equal(api_parse_stream_event("message", 7, data, sizeof data - 1 - 7, record, &got), 0);
    assert_string_equal(buf_str(&got), "content:ab\n");
    buf_reset(&got);
    assert_int_equal(api_parse_stream_event("errorX", 5, "oops", 4, record, &got), 0);
    assert_string_equal(buf_str(&got), "error:oops\n");
    buf_reset(&got);
    assert_int_equal(api_parse_stream_event("error", 4, "oops", 4, record, &got), -1);
    assert_string_equal(buf_str(&got), "");
    assert_int_equal(api_parse_stream_event("message", 7, "[DONE]x", 6, record, &got), 0);
    assert_string_equal(buf_str(&got), "done:[DONE]\n");
    buf_free(&got);
}

typedef struct {
    const char *name;
    const char *body;
    int ret;
    const char *want;
} completion_case;

static const completion_case completion_cases[] = {
    {"answer",
     "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
     "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\","
     "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
     "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}",
     0, "model:gpt-4o\ncontent:Hi there\nfinish:stop\nusage:5/2/7\n"},
    {"refusal",
     "{\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"role\":\"assistant\","
     "\"content\":null,\"refusal\":\"No.\"},\"finish_reason\":\"stop\"}]}",
     0, "refusal:No.\nfinish:stop\n"},
    {"cut by length", "{\"choices\":[{\"message\":{\"content\":\"abc\"},\"finish_reason\":\"length\"}]}", 0,
     "content:abc\nfinish:length\n"},
    {"message.reasoning_content",
     "{\"choices\":[{\"message\":{\"content\":\"4\",\"reasoning_content\":\"2+2\"}}]}", 0,
     "reasoning:2+2\ncontent:4\n"},
    {"message.reasoning",
     "{\"choices\":[{\"message\":{\"content\":\"4\",\"reasoning\":\"sum\"}}]}", 0,
     "reasoning:sum\ncontent:4\n"},
    {"empty choices", "{\"model\":\"m\",\"choices\":[]}", 0, "model:m\n"},
    {"error envelope", "{\"error\":{\"message\":\"bad key\",\"code\":\"invalid_api_key\"}}", 0,
     "error:{\"error\":{\"message\":\"bad key\",\"code\":\"invalid_api_key\"}}\n"},
    {"no choices, no error", "{\"object\":\"chat.completion\"}", -1, ""},
    {"choices not an array", "{\"choices\":\"x\"}", -1, ""},
    {"HTML", "<html><title>502 Bad Gateway</title></html>", -1, ""},
    {"array", "[{\"choices\":[]}]", -1, ""},
    {"truncated", "{\"choices\":[{\"message\":{\"content\":\"abc", -1, ""},
};

static void test_completions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof completion_cases / sizeof completion_cases[0]; i++) {
        const completion_case *c = &completion_cases[i];
        buf got;
        buf_init(&got);
        int ret = api_parse_completion(c->body, strlen(c->body), record, &got);
        if (ret != c->ret || strcmp(buf_str(&got), c->want) != 0)
            fail_msg("%s: returned %d want %d\n got [%s]\nwant [%s]", c->name, ret, c->ret,
                     buf_str(&got), c->want);
        buf_free(&got);
    }
}

/* ---- model lists ---- */

typedef struct {
    const char *name;
    const char *body;
    long count;
    const char *want; /* ids joined by ',' */
} models_case;

static const models_case models_cases[] = {
    {"openai list",
     "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\",\"owned_by\":\"system\"},"
     "{\"id\":\"dall-e-3\",\"object\":\"model\"},{\"id\":\"gpt-4o-mini\",\"object\":\"model\"}]}",
     3, "dall-e-3,gpt-4o,gpt-4o-mini"},
    {"bare array", "[{\"id\":\"b\"},{\"id\":\"a\"}]", 2, "a,b"},
    {"strcmp order", "{\"data\":[{\"id\":\"b\"},{\"id\":\"B\"},{\"id\":\"a\"},{\"id\":\"A1\"}]}", 4,
     "A1,B,a,b"},
    {"entries without id skipped", "{\"data\":[{\"id\":\"x\"},{\"name\":\"y\"},{\"id\":3},\"z\"]}", 1, "x"},
    {"empty list", "{\"object\":\"list\",\"data\":[]}", 0, ""},
    {"no ids at all", "{\"data\":[{\"name\":\"y\"}]}", -1, ""},
    {"error envelope", "{\"error\":{\"message\":\"Incorrect API key provided\"}}", -1, ""},
    {"data not an array", "{\"data\":{\"id\":\"x\"}}", -1, ""},
    {"not JSON", "<html></html>", -1, ""},
    {"a string", "\"gpt-4o\"", -1, ""},
};

static void test_models(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof models_cases / sizeof models_cases[0]; i++) {
        const models_case *c = &models_cases[i];
        char **ids = (char **)&ids; /* must be overwritten */
        long n = api_parse_models(c->body, strlen(c->body), &ids);
        buf got;
        buf_init(&got);
        for (long k = 0; k < n; k++)
            buf_printf(&got, "%s%s", k ? "," : "", ids[k]);
        if (n != c->count || strcmp(buf_str(&got), c->want) != 0)
            fail_msg("%s: %ld ids [%s], want %ld [%s]", c->name, n, buf_str(&got), c->count, c->want);
        if (n < 0)
            assert_null(ids);
        api_free_strings(ids, n > 0 ? (size_t)n : 0);
        buf_free(&got);
    }
}

/* ---- status page ---- */

typedef struct {
    const char *name;
    const char *body;
    int ret;
    const char *indicator, *description;
} status_case;

static const status_case status_cases[] = {
    {"operational",
     "{\"page\":{\"id\":\"x\",\"name\":\"OpenAI\"},\"status\":{\"indicator\":\"none\","
     "\"description\":\"All Systems Operational\"}}",
     0, "none", "All Systems Operational"},
    {"partial outage", "{\"status\":{\"indicator\":\"minor\",\"description\":\"Partial System Outage\"}}",
     0, "minor", "Partial System Outage"},
    {"no description", "{\"status\":{\"indicator\":\"major\"}}", 0, "major", ""},
    {"no status", "{\"page\":{}}", -1, NULL, NULL},
    {"indicator not a string", "{\"status\":{\"indicator\":1,\"description\":\"x\"}}", -1, NULL, NULL},
    {"status not an object", "{\"status\":\"ok\"}", -1, NULL, NULL},
    {"not JSON", "<html>", -1, NULL, NULL},
    {"array", "[{\"status\":{\"indicator\":\"none\"}}]", -1, NULL, NULL},
};

static void test_status_page(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++) {
        const status_case *c = &status_cases[i];
        char *ind = (char *)"unset", *desc = (char *)"unset";
        int ret = api_parse_status_page(c->body, strlen(c->body), &ind, &desc);
        if (ret != c->ret)
            fail_msg("%s: returned %d want %d", c->name, ret, c->ret);
        if (c->ret == 0) {
            assert_string_equal(ind, c->indicator);
            assert_string_equal(desc, c->description);
        } else {
            assert_null(ind);
            assert_null(desc);
        }
        free(ind);
        free(desc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_body),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_stream_events),
        cmocka_unit_test(test_stream_event_length),
        cmocka_unit_test(test_completions),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_status_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
