/* cmd_translate.c — `attnstep translate` and `attnstep trace`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attnstep/events.h"
#include "cli_decode.h"
#include "commands.h"

static void print_result(const CliDecode *c, const DecodeResult *res) {
    if (res->count == 1 && !c->scores) {
        printf("%s\n", res->hyps[0].text);
        return;
    }
    for (int i = 0; i < res->count; i++) {
        const DecodeHyp *h = &res->hyps[i];
        printf("%d\tscore %.4f\tlogprob %.4f\t%s%s\n", i + 1, h->score, h->logprob, h->text,
               h->finished ? "" : "\t(no <eos>: length cap reached)");
    }
}

int cmd_translate(int argc, char **argv) {
    CliDecode c;
    int rc = cli_decode_parse(argc, argv, &c, "usage: attnstep translate --model FILE [options] \"sentence\"");
    if (rc) return rc == 1 ? 0 : rc;
    if ((rc = cli_decode_prepare(&c))) { cli_decode_release(&c); return rc; }
    Status st = {0};
    DecodeResult res;
    if (decode_run_model(c.model, c.src_ids, c.src_len, &c.opts, NULL, &res, &st)) {
        fprintf(stderr, "error: %s\n", st.message);
        rc = 1;
    } else {
        print_result(&c, &res);
    }
    decode_result_free(&res);
    cli_decode_release(&c);
    return rc;
}

int cmd_trace(int argc, char **argv) {
    CliDecode c;
    int rc = cli_decode_parse(argc, argv, &c,
                              "usage: attnstep trace --model FILE [--out FILE.jsonl] [options] \"sentence\"\n"
                              "writes every event of the decode as JSON lines (docs/trace-format.md)");
    if (rc) return rc == 1 ? 0 : rc;
    if ((rc = cli_decode_prepare(&c))) { cli_decode_release(&c); return rc; }
    Status st = {0};
    Trace *t = trace_new();
    DecodeResult res;
    memset(&res, 0, sizeof res);
    EventSink sink = t ? trace_sink(t) : (EventSink){0};
    if (!t) {
        fprintf(stderr, "error: out of memory\n");
        rc = 1;
    } else if (decode_run_model(c.model, c.src_ids, c.src_len, &c.opts, &sink, &res, &st)) {
        fprintf(stderr, "error: %s\n", st.message);
        rc = 1;
    } else {
        char tmp[4096];
        FILE *out = stdout;
        if (c.out_path) {
            snprintf(tmp, sizeof tmp, "%s.tmp", c.out_path);
            out = fopen(tmp, "wb");
            if (!out) { fprintf(stderr, "error: cannot write '%s': %s\n", tmp, strerror(errno)); rc = 1; }
        }
        if (out && trace_write_jsonl(t, out, &st)) { fprintf(stderr, "error: %s\n", st.message); rc = 1; }
        if (out && c.out_path) {
            if (fclose(out) != 0 && !rc) { fprintf(stderr, "error: writing '%s' failed: %s\n", tmp, strerror(errno)); rc = 1; }
            if (!rc && rename(tmp, c.out_path) != 0) { fprintf(stderr, "error: cannot rename to '%s': %s\n", c.out_path, strerror(errno)); rc = 1; }
            if (rc) remove(tmp);
            else fprintf(stderr, "wrote %ld events to %s\n", trace_count(t), c.out_path);
        }
    }
    decode_result_free(&res);
    trace_free(t);
    cli_decode_release(&c);
    return rc;
}
