/* Internal to the config module, not its API (that is config.h): what config.c (the option
 * registry, values and profiles), config_file.c (the file: loading, the kept document,
 * saving) and config_keycmd.c (the key command) share. */
#ifndef TCHAT_CONFIG_INTERNAL_H
#define TCHAT_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* A config file holds a few settings; anything bigger is a mistake (wrong --config). */
#define CONFIG_MAX_BYTES ((size_t)1024 * 1024)
/* How long a config given as a pipe or a device (--config <(...)) may take to arrive. */
#define CONFIG_STREAM_MS 3000

/* getenv, with the type config_load_args.getenv_fn has. */
const char *config_getenv(const char *name);
/* Why a text value is unusable (not UTF-8, control characters; newlines and tabs allowed
 * when allow_newlines), or NULL. */
const char *config_text_problem(const char *s, bool allow_newlines);
/* The shortest text that reads back as the same double. */
void config_fmt_num(double d, char *out, size_t outlen);
/* "from 0 to 100" for a number option. */
void config_range_text(const opt_def *d, char *out, size_t outlen);

/* Parses text for option id into *out (a fresh canonical text; the parsed number or bool),
 * or says why not in why ("must be a whole number from 0 to 100"). */
bool config_opt_parse(opt_id id, const char *text, opt_value *out, char *why, size_t whylen);
/* config_opt_parse, with the value's source; err gets "LABEL: why" ("--max-retries: ..."). */
bool config_layer_parse(const config *c, opt_id id, const char *text, opt_source src,
                        opt_value *out, char *err, size_t errlen);
/* Frees a value's or a layer's text, wiping it first when it may be a key. */
void config_value_clear(opt_value *v, opt_id id);
void config_text_free(char *s, opt_id id);
/* The option's default value, from the registry. */
void config_value_default(opt_value *v, opt_id id);

/* Appends a profile named name with default values and no file layer; the caller checks
 * the name. config_profile_done frees one. */
profile *config_profile_new(config *c, const char *name);
void config_profile_done(profile *p);
/* Recomputes the effective values of profile idx (active: it is the current one, so flags,
 * the environment and the key command apply), or of the global options. On error nothing
 * changes and err says why. */
int config_profile_compute(config *c, size_t idx, bool active, char *err, size_t errlen);
int config_globals_compute(config *c, char *err, size_t errlen);
/* Forgets the environment read so far (values wiped). */
void config_env_free(config *c);

#endif
