/* safetensors.h — read and write .safetensors files, treating every file as hostile.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON header
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "string value", ...}}, then the raw little-endian data;
 * offsets are relative to the end of the header.
 * What it is: a container reader/writer. What it is not: it knows no model; the
 * model module decides which tensors it needs (safetensors_find + shape checks).
 *
 * Reading checks everything against the file: header length within the file and
 * under 100 MB, valid UTF-8 JSON object, each tensor's dtype known, shape
 * non-negative with a product that does not overflow, data_offsets within the data
 * section and equal to dtype size × element count, tensors not overlapping, metadata
 * values strings. The message names the file's first problem, e.g.
 *   "tensor 'decoder.out.weight': data_offsets [0, 40] hold 40 bytes but F32 [3, 4] needs 48".
 * Tensors of dtype F32, F16, BF16 and F64 are converted to float32 on load; I64/I32
 * are accepted for metadata-like tensors and converted too (the converted values are what
 * SafeTensor.data holds).
 *
 *   SafeTensors *f = safetensors_load("model.safetensors", &st);
 *   const SafeTensor *w = safetensors_find(f, "encoder.embedding.weight");
 *   const char *arch = safetensors_meta(f, "arch");
 *   safetensors_free(f);
 */
#ifndef ATTNSTEP_SAFETENSORS_H
#define ATTNSTEP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define SAFETENSORS_MAX_DIMS 8

typedef struct SafeTensor {
    char *name;                       /* owned by the SafeTensors */
    char dtype[8];                    /* as in the file: "F32", "F16", ... */
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    int64_t numel;                    /* product of shape (1 for a scalar, ndim 0) */
    float *data;                      /* numel float32 values, 16-byte aligned, owned */
} SafeTensor;

typedef struct SafeTensors {
    int count;
    SafeTensor *tensors;              /* in file order of data_offsets */
    int meta_count;
    char **meta_keys;                 /* owned */
    char **meta_values;               /* owned */
} SafeTensors;

/* Loads a whole file. NULL with st naming the file and its first problem. */
SafeTensors *safetensors_load(const char *path, Status *st);
/* Same, from memory (used by the fuzzer); name is used in messages. */
SafeTensors *safetensors_parse(const uint8_t *bytes, size_t size, const char *name, Status *st);
void safetensors_free(SafeTensors *f); /* NULL is a no-op */

const SafeTensor *safetensors_find(const SafeTensors *f, const char *name); /* NULL if absent */
const char *safetensors_meta(const SafeTensors *f, const char *key);        /* NULL if absent */

/* ---- writing ---- */
typedef struct SafeTensorsWriter SafeTensorsWriter;
SafeTensorsWriter *safetensors_writer_new(void);           /* NULL on out of memory */
void safetensors_writer_free(SafeTensorsWriter *w);        /* NULL is a no-op */
/* Adds an F32 tensor (data copied). -1 with st on a duplicate name or out of memory. */
int safetensors_writer_add(SafeTensorsWriter *w, const char *name, const float *data,
                           int ndim, const int64_t *shape, Status *st);
/* Adds a metadata string (copied; a later value for the same key replaces it). */
int safetensors_writer_meta(SafeTensorsWriter *w, const char *key, const char *value, Status *st);
/* Writes atomically: path.tmp, fsync, rename over path. On failure the previous file
 * at path is intact and the temporary is removed. Tensors are written in name order,
 * header keys sorted, so the same content gives byte-identical files. */
int safetensors_writer_save(const SafeTensorsWriter *w, const char *path, Status *st);

#endif
