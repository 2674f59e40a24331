/* A reply's leading <think>…</think> block split off as reasoning, incrementally.
 *
 * Models that write their reasoning into the content (DeepSeek-R1's distills, QwQ on
 * llama.cpp or Ollama) begin the reply with "<think>", the reasoning, "</think>", then the
 * answer. Only a block at the very start counts (white space may come before "<think>");
 * "<think>" anywhere else is text. The tags may arrive split across deltas at any byte:
 * bytes that may still be the beginning of a tag are held back until the next feed decides.
 * A block that is never closed stays reasoning to the end (a reply cut while it thinks).
 * The line breaks after "<think>" and those between "</think>" and the answer are dropped;
 * the tags never reach the output. docs/protocol.md#server-sent-events describes it with the other reasoning fields. */
#ifndef TCHAT_THINK_H
#define TCHAT_THINK_H

#include <stdbool.h>
#include <stddef.h>

/* Leading white space held while waiting for "<think>"; more than this is an answer. */
#define THINK_SPACE_MAX 32

typedef struct think_split {
    int state;
    char held[THINK_SPACE_MAX + 8]; /* undecided bytes: leading white space and a partial tag */
    size_t nheld;
} think_split;

/* Receives the text in order: reasoning true for what was inside the block. */
typedef void (*think_cb)(void *ud, bool reasoning, const char *p, size_t n);

void think_init(think_split *t);
/* Content text p[0..n): calls cb zero or more times with what is decided. */
void think_feed(think_split *t, const char *p, size_t n, think_cb cb, void *ud);
/* The end of the content: what was held back goes out as what it would have been (a cut
 * "<thi" at the start as content, a cut "</thi" inside the block as reasoning). */
void think_finish(think_split *t, think_cb cb, void *ud);

/* A reply whose chat template opened the block in the prompt (so the model never writes
 * "<think>"): its content is the reasoning, then "</think>" on a line of its own, then the
 * answer. True when text is that: no "<think>" and no code fence before the first
 * "</think>", which starts the text or a line and ends it. *reason_len is then the
 * reasoning's length (trailing white space left out) and *answer_at where the answer begins
 * (the white space after the tag skipped). */
bool think_lone_close(const char *text, size_t len, size_t *reason_len, size_t *answer_at);

#endif
