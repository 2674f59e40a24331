/* The settings screen (F2, /settings): keys, endpoints and profiles. */
#ifndef TCHAT_SETTINGS_H
#define TCHAT_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"

void settings_open(app *a, bool first_run);
void settings_free(app *a);
/* Handles a key while the screen is open; returns false when it is not open. */
bool settings_key(app *a, int ch);
void settings_draw(app *a);
/* Ctrl-T's GET /models is a job of the screen's own. */
bool settings_owns_job(const app *a, uint64_t job);
void settings_on_event(app *a, const worker_event *ev);

#endif
