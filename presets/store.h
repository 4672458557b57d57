/* store.h - washmixd's state folder on disk: named scenes (scenes/NAME.json)
 * and the live-state file (live.json), written crash-safely: a temp file in
 * the same folder, fsync, rename over the old file, fsync of the folder. A
 * reader therefore sees the old version or the new one, never a torn file,
 * whatever moment power or the process dies. Leftover temp files from a
 * crash are removed when the store opens. Control thread only. */
#ifndef WM_STORE_H
#define WM_STORE_H

#include <stddef.h>

#include "common/err.h"

#define WM_SCENE_NAME_MAX 64          /* characters */

struct wm_store;

/* Open (creating it and its scenes/ folder, mode 0750, when missing) the
 * state folder dir. Fails with WM_E_IO naming the folder and the reason. */
struct wm_store *wm_store_open(const char *dir, struct wm_err *err);
void wm_store_close(struct wm_store *store);
const char *wm_store_dir(const struct wm_store *store);

/* Scene names are [A-Za-z0-9._-]{1,64}, not starting with '.': anything
 * else (including "../x") is WM_E_BAD_NAME with the rule in the message. */
int wm_store_check_name(const char *name, struct wm_err *err);

/* Write data as scenes/NAME.json, atomically. On any failure (ENOSPC, EROFS,
 * EACCES, EIO at write, fsync, close or rename) the previous file is left
 * intact, the temp file removed, and err (WM_E_IO) names the file, the step
 * and strerror. */
int wm_store_save_scene(struct wm_store *store, const char *name, const char *data,
			size_t len, struct wm_err *err);

/* Read scenes/NAME.json (malloc'd, NUL-terminated; *len without the NUL).
 * WM_E_NOT_FOUND when there is none: the message lists the scenes there are. */
char *wm_store_load_scene(struct wm_store *store, const char *name, size_t *len,
			  struct wm_err *err);

int wm_store_delete_scene(struct wm_store *store, const char *name, struct wm_err *err);

/* Rename; WM_E_NOT_FOUND when from is missing, WM_E_BAD_NAME when to exists
 * (message says so). Atomic (renameat2 RENAME_NOREPLACE, then fsync dir). */
int wm_store_rename_scene(struct wm_store *store, const char *from, const char *to,
			  struct wm_err *err);

/* Sorted scene names (without .json); *names is one malloc'd array of
 * pointers into the same block: free(*names) frees all. Files whose names
 * break the name rule are skipped. */
int wm_store_list_scenes(struct wm_store *store, char ***names, size_t *count,
			 struct wm_err *err);

/* live.json: the same atomic write; read returns NULL with WM_E_NOT_FOUND
 * when there is none yet. */
int wm_store_save_live(struct wm_store *store, const char *data, size_t len,
		       struct wm_err *err);
char *wm_store_load_live(struct wm_store *store, size_t *len, struct wm_err *err);

/* Rename a live.json that could not be used to live.json.broken-SECONDS
 * (the name goes to kept), so the next save does not destroy what an
 * operator may want to inspect. */
int wm_store_set_aside_live(struct wm_store *store, char *kept, size_t kept_len,
			    struct wm_err *err);

#endif
